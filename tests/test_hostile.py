"""Issue 20: hostile or broken surroundings give a clear error, lose nothing and never hang.

A server on a loopback port that speaks RESP but answers MGET with nonsense (too few values, an
integer, nested arrays) must never fail a run: one warning, and the run goes on from the local
store with its usual exit code. Remote URLs and shard counts lockgate cannot use are one line,
exit 2, before any work — never an internal error, never work linear in a number typed by hand.
"""

from __future__ import annotations

import socketserver
import threading
from pathlib import Path

import pytest
from conftest import lockgate

SECRET = {"LOCKGATE_REMOTE_KEY": "a-shared-secret-of-the-hostile-tests"}


# -- 10. a Redis that answers MGET with the wrong shape --------------------------------------


def _read_command(stream: socketserver.StreamRequestHandler) -> list[bytes] | None:
    """One RESP command (an array of bulk strings), or None at the end of the stream."""
    head = stream.rfile.readline()
    if not head:
        return None
    count = int(head[1:].strip()) if head.startswith(b"*") else 0
    parts = []
    for _ in range(count):
        size = int(stream.rfile.readline()[1:].strip())
        parts.append(stream.rfile.read(size + 2)[:-2])
    return parts


def garbage_server(mget_answer: bytes) -> tuple[socketserver.ThreadingTCPServer, int]:
    """A server on 127.0.0.1 that says OK to everything but MGET, answered ``mget_answer``."""

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            while (command := _read_command(self)) is not None:
                name = command[0].upper() if command else b""
                self.wfile.write(mget_answer if name == b"MGET" else b"+OK\r\n")
                self.wfile.flush()

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, int(server.server_address[1])


@pytest.fixture
def basic(project: object) -> Path:
    root: Path = project("basic")  # type: ignore[operator]
    return root


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b"*1\r\n$3\r\nabc\r\n", id="fewer-values"),
        pytest.param(b":7\r\n", id="an-integer"),
        pytest.param(b"*2\r\n*1\r\n$1\r\nx\r\n*0\r\n", id="nested-arrays"),
        pytest.param(b"$5\r\nhello\r\n", id="one-string"),
    ],
)
def test_a_remote_answering_nonsense_never_fails_a_run(basic: Path, answer: bytes) -> None:
    expected = lockgate("align", basic, "--json", "--no-cache")
    server, port = garbage_server(answer)
    try:
        run = lockgate(
            "align", basic, "--json", "--remote", f"redis://127.0.0.1:{port}/0", env=SECRET
        )
    finally:
        server.shutdown()
        server.server_close()

    assert run.code == expected.code, run.stderr
    assert "internal error" not in run.stderr
    assert f"127.0.0.1:{port}" in run.stderr  # one warning naming the remote
    assert run.json["summary"]["cache"]["remote_errors"] >= 1
    assert [f["score"] for f in run.json["features"]] == [
        f["score"] for f in expected.json["features"]
    ]


# -- 12. remote URLs and shard counts typed by hand ------------------------------------------


@pytest.mark.parametrize(
    ("url", "said"),
    [
        pytest.param("redis://[::1", "redis://[::1", id="unclosed-ipv6"),
        pytest.param("redis://127.0.0.1/notadb", "database", id="database-not-a-number"),
        pytest.param("redis://127.0.0.1:6379/-1", "database", id="negative-database"),
    ],
)
def test_a_remote_url_lockgate_cannot_use_is_one_line(basic: Path, url: str, said: str) -> None:
    run = lockgate("align", basic, "--remote", url, env=SECRET)

    assert run.code == 2, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert said in run.stderr


def test_a_huge_shard_count_costs_nothing_extra(basic: Path) -> None:
    whole = lockgate("align", basic, "--json", "--no-cache")

    first = lockgate("align", basic, "--json", "--no-cache", "--shard", "1/1000000000000")
    last = lockgate(
        "align", basic, "--json", "--no-cache", "--shard", "1000000000000/1000000000000"
    )

    assert first.code == whole.code, first.stderr
    assert last.code in (0, 1), last.stderr
    # with more shards than work, the first shard gets a group and the last gets none
    assert first.json["summary"]["features"] + len(first.json["suite"]) >= 1
    assert last.json["summary"]["features"] == 0 and last.json["suite"] == []
