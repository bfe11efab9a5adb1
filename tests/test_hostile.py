"""Issue 20: hostile or broken surroundings give a clear error, lose nothing and never hang.

A server on a loopback port that speaks RESP but answers MGET with nonsense (too few values, an
integer, nested arrays) must never fail a run: one warning, and the run goes on from the local
store with its usual exit code. Remote URLs and shard counts lockgate cannot use are one line,
exit 2, before any work — never an internal error, never work linear in a number typed by hand.

A store folder committed as a symlink (or anything but a plain folder) is refused, exit 2, and
nothing is written through it. A FIFO, socket or device named like a module, or as a test file,
is named as a file lockgate cannot read, and the run ends. A shared folder whose entries are
FIFOs, links out of the share or to ``/dev/zero``, or huge, costs warnings and re-runs, never a
failed or hung run. A file tracked in a git submodule is a tracked file, not one git ignores.

Every lockgate process here runs under a timeout: a hang fails the test instead of the suite.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import socketserver
import stat
import subprocess
import sys
import threading
import zlib
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, copy_project, git, isolated_env, lockgate

from lockgate.remote.parsed import VARIANT as PARSED_VARIANT
from lockgate.remote.shared import VARIANT as SHARED_VARIANT
from lockgate.remote.tree import VARIANT as TREE_VARIANT

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


@pytest.fixture(scope="module")
def fresh_basic(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The unchanged basic scenario judged with --no-cache: what a run in spite of a broken
    remote must say. One run for the module (a function of the scenario alone)."""
    with isolated_env(tmp_path_factory):
        root = copy_project("basic", tmp_path_factory.mktemp("fresh"))
        run = lockgate("align", root, "--json", "--no-cache")
    assert run.code in (0, 1), run.stderr
    return run


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b"*1\r\n$3\r\nabc\r\n", id="fewer-values"),
        pytest.param(b":7\r\n", id="an-integer"),
        pytest.param(b"*2\r\n*1\r\n$1\r\nx\r\n*0\r\n", id="nested-arrays"),
        pytest.param(b"$5\r\nhello\r\n", id="one-string"),
    ],
)
def test_a_remote_answering_nonsense_never_fails_a_run(
    basic: Path, fresh_basic: Run, answer: bytes
) -> None:
    expected = fresh_basic
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


def test_a_huge_shard_count_costs_nothing_extra(basic: Path, fresh_basic: Run) -> None:
    whole = fresh_basic

    first = lockgate("align", basic, "--json", "--no-cache", "--shard", "1/1000000000000")
    last = lockgate(
        "align", basic, "--json", "--no-cache", "--shard", "1000000000000/1000000000000"
    )

    assert first.code == whole.code, first.stderr
    assert last.code in (0, 1), last.stderr
    # with more shards than work, the first shard gets a group and the last gets none
    assert first.json["summary"]["features"] + len(first.json["suite"]) >= 1
    assert last.json["summary"]["features"] == 0 and last.json["suite"] == []


# -- 8. a store folder that is a symlink, or not a folder --------------------------------------


def tree_state(root: Path) -> dict[str, tuple[int, int, bytes | str]]:
    """Every entry under ``root`` but .git: (mode, mtime, bytes or link target); the bytes of
    regular files only, so that a FIFO is never opened."""
    found: dict[str, tuple[int, int, bytes | str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                body: bytes | str = os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                body = path.read_bytes()
            else:
                body = b""
            found[path.relative_to(root).as_posix()] = (info.st_mode, info.st_mtime_ns, body)
    return found


def _store_link_into_source(root: Path, tmp: Path) -> None:
    (root / ".lockgate").symlink_to("src/shop")


def _store_link_outside(root: Path, tmp: Path) -> None:
    (tmp / "elsewhere").mkdir()
    (root / ".lockgate").symlink_to(tmp / "elsewhere")


def _store_dangling_link(root: Path, tmp: Path) -> None:
    (root / ".lockgate").symlink_to("src/shop/cache")


def _store_fifo(root: Path, tmp: Path) -> None:
    os.mkfifo(root / ".lockgate")


def _store_ignore_file_linked(root: Path, tmp: Path) -> None:
    (root / ".lockgate").mkdir()
    (root / ".lockgate" / ".gitignore").symlink_to("../src/shop/.gitignore")


def _store_database_linked(root: Path, tmp: Path) -> None:
    (root / ".lockgate").mkdir()
    (root / ".lockgate" / ".gitignore").write_text("*\n")
    (root / ".lockgate" / "store.sqlite").symlink_to("../src/shop/data.sqlite")


@pytest.mark.parametrize(
    ("make", "said"),
    [
        pytest.param(_store_link_into_source, "symlink", id="link-into-src"),
        pytest.param(_store_link_outside, "symlink", id="link-outside"),
        pytest.param(_store_dangling_link, "symlink", id="dangling-link"),
        pytest.param(_store_fifo, "not a folder", id="fifo"),
        pytest.param(_store_ignore_file_linked, ".gitignore", id="linked-gitignore"),
        pytest.param(_store_database_linked, "store.sqlite", id="linked-database"),
    ],
)
@pytest.mark.parametrize(
    "command",
    [["align"], ["deploy", "--dry-run"], ["cache", "stats"], ["cache", "warm"]],
    ids=["align", "deploy", "stats", "warm"],
)
def test_a_store_folder_that_is_not_a_plain_folder_is_refused(
    tmp_path: Path, make: Any, said: str, command: list[str]
) -> None:
    root = copy_project("basic", tmp_path)
    make(root, tmp_path)
    # committed, as a repository would bring it (a FIFO cannot be)
    git(root, "add", "-A", "--force")
    git(root, "commit", "-q", "--allow-empty", "-m", "a store folder of the repository's own")
    before = tree_state(tmp_path)

    run = lockgate(*command, root, timeout=120)

    assert run.code == 2, (run.code, run.stderr)
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert ".lockgate" in run.stderr and said in run.stderr, run.stderr
    assert tree_state(tmp_path) == before  # nothing written through it, nor beside it


def test_lockgate_dir_set_to_a_symlink_is_refused(tmp_path: Path) -> None:
    root = copy_project("basic", tmp_path)
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")

    run = lockgate("align", root, timeout=120, env={"LOCKGATE_DIR": str(tmp_path / "link")})

    assert run.code == 2, run.stderr
    assert "LOCKGATE_DIR" in run.stderr and "symlink" in run.stderr, run.stderr
    assert list((tmp_path / "real").iterdir()) == []


# -- 9. a FIFO, socket or device named like a module --------------------------------------------


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()


def _link_to_fifo(path: Path) -> None:
    os.mkfifo(path.with_name("real.fifo"))
    path.symlink_to("real.fifo")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(_fifo, id="fifo"),
        pytest.param(_socket, id="socket"),
        pytest.param(_link_to_fifo, id="link-to-fifo"),
    ],
)
@pytest.mark.parametrize(
    "where",
    [
        pytest.param("src/shop/pipe.py", id="module"),
        pytest.param("src/shop/features/pipe.py", id="feature-module"),
        pytest.param("tests/test_pipe.py", id="test-file"),
        pytest.param("tests/conftest.py", id="conftest"),
    ],
)
def test_a_special_file_named_like_a_module_is_named_and_never_hangs(
    tmp_path: Path, make: Any, where: str
) -> None:
    root = copy_project("basic", tmp_path)
    make(root / where)

    run = lockgate("align", "--json", root, timeout=120)

    # a failed row naming the file, wherever it lies, as for a file that does not parse
    assert run.code == 0, (run.code, run.stderr)
    row = next(f for f in run.json["features"] if f["id"] == where)
    assert (row.get("broken"), row["status"]) == (True, "critical"), row
    assert "not a regular file" in row["layers"]["discovered"]["detail"], row
    gated = lockgate("align", "--fail-under", "1", root, timeout=120, env={"COLUMNS": "200"})
    assert gated.code == 1 and where in gated.stdout, gated.stdout + gated.stderr


def test_a_special_guide_or_data_file_never_hangs(tmp_path: Path) -> None:
    root = copy_project("basic", tmp_path)
    guide = root / "docs/guides/cart-service.md"
    guide.unlink()
    os.mkfifo(guide)
    (root / "tests/test_reads_a_pipe.py").write_text(
        "from pathlib import Path\n\n\ndef test_data():\n"
        "    assert Path(__file__).with_name('data.txt').read_text() == ''\n"
    )
    os.mkfifo(root / "tests/data.txt")

    run = lockgate("align", "--json", root, timeout=180)

    assert run.code == 0, (run.code, run.stderr)
    assert run.layer("CartService", "documented")["passed"] is False
    suite = {t["file"]: t for t in run.json["suite"]}
    assert suite["tests/test_reads_a_pipe.py"]["passed"] is False, suite


def test_a_deploy_beside_a_fifo_module_is_refused_and_never_hangs(tmp_path: Path) -> None:
    root = copy_project("basic", tmp_path)
    os.mkfifo(root / "src/shop/features/pipe.py")  # git cannot track it: the tree stays clean

    run = lockgate("deploy", "--dry-run", "--json", root, timeout=120)

    assert run.code == 1, (run.code, run.stderr)
    text = run.stdout + run.stderr
    assert "src/shop/features/pipe.py" in text and "not a regular file" in text, text


# -- 11. a shared folder whose entries are not plain files ------------------------------------


def _limited() -> None:
    """A ceiling on the child's memory, so that an unbounded read fails fast, not the host."""
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def lockgate_limited(*args: str | Path, env: dict[str, str]) -> Run:
    proc = subprocess.run(
        [sys.executable, "-m", "lockgate", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **env},
        preexec_fn=_limited,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def _entry_fifo(entry: Path, tmp: Path) -> None:
    entry.unlink()
    os.mkfifo(entry)


def _entry_to_dev_zero(entry: Path, tmp: Path) -> None:
    entry.unlink()
    entry.symlink_to("/dev/zero")


def _entry_link_out_of_share(entry: Path, tmp: Path) -> None:
    # a valid entry, but outside the share: whoever can write the share can point anywhere
    outside = tmp / "outside-entry"
    shutil.copyfile(entry, outside)
    entry.unlink()
    entry.symlink_to(outside)


def _entry_folder_linked_out(entry: Path, tmp: Path) -> None:
    folder = entry.parent
    moved = tmp / "outside-folder"
    shutil.copytree(folder, moved)
    shutil.rmtree(folder)
    folder.symlink_to(moved)


def _entry_huge(entry: Path, tmp: Path) -> None:
    with entry.open("r+b") as fh:
        fh.truncate(1 << 34)  # sparse: 16 GiB that cost no disk


def _entry_a_folder(entry: Path, tmp: Path) -> None:
    entry.unlink()
    entry.mkdir()


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(_entry_fifo, id="fifo"),
        pytest.param(_entry_to_dev_zero, id="link-to-dev-zero"),
        pytest.param(_entry_link_out_of_share, id="link-out-of-share"),
        pytest.param(_entry_folder_linked_out, id="folder-linked-out"),
        pytest.param(_entry_huge, id="huge"),
        pytest.param(_entry_a_folder, id="a-folder"),
    ],
)
def test_a_spoiled_shared_folder_entry_costs_a_warning_and_a_rerun(
    tmp_path: Path, spoil: Any
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    remote = ["--remote", share.as_uri()]
    writer = copy_project("basic", tmp_path / "writer")
    first = lockgate("align", writer, "--json", *remote, timeout=300, env=SECRET)
    assert first.json["summary"]["cache"]["remote_errors"] == 0, first.stderr
    # beside the facts of each file it parsed (remote/parsed.py) and the probe sets stored
    # apart (remote/shared.py): results, and the records of what each test file did
    # (keys/owners.py), by their layer
    entries = sorted(
        p
        for p in share.rglob("*")
        if p.is_file() and p.name not in (PARSED_VARIANT, SHARED_VARIANT, TREE_VARIANT)
    )
    # without the record of the whole tree (remote/tree.py), which would serve the reader in
    # one read: this test is of the entries
    for record in share.rglob(TREE_VARIANT):
        record.unlink()
    layers = {
        p: json.loads(zlib.decompress(p.read_bytes().partition(b"\n")[2]))["layer"] for p in entries
    }
    # a result's entry (a spoiled record of a test file costs a run of that file, no miss)
    target = next(e for e in entries if layers[e] != "owners")
    spoil(target, tmp_path)

    reader = copy_project("basic", tmp_path / "reader")
    run = lockgate_limited("align", reader, "--json", *remote, env=SECRET)

    assert run.code == first.code, run.stderr
    assert "internal error" not in run.stderr
    cache = run.json["summary"]["cache"]
    spoiled = [e for e in entries if e.parent == target.parent]
    if spoil is not _entry_folder_linked_out:
        spoiled = [target]
    results = [e for e in entries if layers[e] != "owners"]
    # the spoiled entries are refused and run again; every other result is still served
    served = len([e for e in results if e not in spoiled])
    assert (cache["remote_errors"], cache["remote_hits"]) == (len(spoiled), served), cache
    assert cache["misses"] >= 1, cache
    assert share.name in run.stderr  # one warning naming the share
    assert [f["score"] for f in run.json["features"]] == [
        f["score"] for f in first.json["features"]
    ]


# -- 13. a data file in a git submodule ---------------------------------------------------------


def _submodule(tmp_path: Path, root: Path) -> None:
    """``vendor/prices``: a real submodule holding a tracked data file (and an ignored one)."""
    lib = tmp_path / "prices-lib"
    (lib / "fixtures").mkdir(parents=True)
    (lib / "fixtures/prices.json").write_text('{"apple": 3}\n')
    (lib / ".gitignore").write_text("*.local\n")
    git(lib, "init", "-q", "-b", "main")
    git(lib, "add", "-A")
    git(lib, "commit", "-q", "-m", "prices")
    git(
        root,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(lib),
        "vendor/prices",
    )
    (root / "tests/test_vendor_prices.py").write_text(
        "import json\nfrom pathlib import Path\n\nVENDOR = Path(__file__).parent.parent / "
        "'vendor/prices'\n\n\ndef test_prices():\n"
        "    data = json.loads((VENDOR / 'fixtures/prices.json').read_text())\n"
        "    assert data == {'apple': 3}\n"
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "vendored prices")


def test_a_file_tracked_in_a_submodule_is_tracked(tmp_path: Path) -> None:
    root = copy_project("basic", tmp_path)
    _submodule(tmp_path, root)

    first = lockgate("align", root, "--json", timeout=300)
    again = lockgate("align", root, "--json", "--retry-failed", timeout=300)

    assert first.code == 0, first.stderr
    assert "ignores" not in first.stderr, first.stderr
    assert again.json["summary"]["cache"]["misses"] == 0, again.stderr
    # and the result is keyed on the submodule's file: an edit there runs the test again
    (root / "vendor/prices/fixtures/prices.json").write_text('{"apple": 4}\n')
    edited = lockgate("align", root, "--json", timeout=300)
    suite = {t["file"]: t for t in edited.json["suite"]}
    assert suite["tests/test_vendor_prices.py"]["passed"] is False, suite
    assert suite["tests/test_vendor_prices.py"]["cached"] is False, suite


def test_an_untracked_file_in_a_submodule_is_visible_and_an_ignored_one_is_not(
    tmp_path: Path,
) -> None:
    root = copy_project("basic", tmp_path)
    _submodule(tmp_path, root)
    vendor = root / "vendor/prices/fixtures"
    (vendor / "new.json").write_text("{}\n")  # untracked in the submodule, not ignored
    (vendor / "secret.local").write_text("x\n")  # ignored by the submodule's .gitignore
    (root / "tests/test_vendor_more.py").write_text(
        "from pathlib import Path\n\nimport pytest\n\nVENDOR = Path(__file__).parent.parent / "
        "'vendor/prices/fixtures'\n\n\ndef test_new():\n"
        "    assert (VENDOR / 'new.json').read_text() == '{}\\n'\n\n\n"
        "def test_local():\n    with pytest.raises(FileNotFoundError):\n"
        "        (VENDOR / 'secret.local').read_text()\n"
    )

    run = lockgate("align", root, "--json", timeout=300)

    assert run.code == 0, run.stderr
    said = [line for line in run.stderr.splitlines() if "ignores" in line]
    assert len(said) == 1 and "vendor/prices/fixtures/secret.local" in said[0], run.stderr
    assert "new.json" not in said[0]
