"""Cache servers for the remote benchmarks, on 127.0.0.1, each stopped by its process.

redis-server (Debian), wsgidav on cheroot (the test extra), and turborepo-remote-cache (the
npm registry; scripts/setup-tests.sh installs it into .node/).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

TURBO = Path(__file__).parents[1] / ".node/node_modules/turborepo-remote-cache/dist/cli.js"
TURBO_TOKEN = "benchmark-turbo-token"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(proc: subprocess.Popen[bytes], port: int, what: str) -> None:
    for _ in range(600):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    sys.exit(f"{what} did not start")


def start(kind: str, folder: Path) -> tuple[subprocess.Popen[bytes] | None, str, dict[str, str]]:
    """The server of ``kind`` (none for a folder): its process, the remote URL, and the
    environment a client needs for it."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "folder":
        (folder / "share").mkdir(exist_ok=True)
        return None, (folder / "share").as_uri(), {}
    port = _port()
    if kind == "redis":
        server = shutil.which("redis-server")
        if server is None:
            sys.exit("redis-server is not installed (Debian: apt-get install redis-server)")
        proc = subprocess.Popen(
            [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _wait(proc, port, "redis-server")
        return proc, f"redis://127.0.0.1:{port}/0", {}
    if kind in ("webdav", "http"):
        root = folder / "dav"
        (root / "ac").mkdir(parents=True, exist_ok=True)
        config = {
            "host": "127.0.0.1",
            "port": port,
            "server": "cheroot",
            "provider_mapping": {"/": str(root)},
            "simple_dc": {"user_mapping": {"*": True}},
            "verbose": 0,
            "logging": {"enable_loggers": []},
        }
        (folder / "wsgidav.json").write_text(json.dumps(config))
        proc = subprocess.Popen(
            [sys.executable, "-m", "wsgidav.server.server_cli", "--config", "wsgidav.json"],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(proc, port, "wsgidav")
        scheme = "webdav+http" if kind == "webdav" else "http"
        return proc, f"{scheme}://127.0.0.1:{port}", {}
    if kind == "turbo":
        node = shutil.which("node")
        if node is None or not TURBO.is_file():
            sys.exit("turborepo-remote-cache is not installed: run scripts/setup-tests.sh")
        env = {
            "PATH": os.environ["PATH"],
            "TURBO_TOKEN": TURBO_TOKEN,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "STORAGE_PROVIDER": "local",
            "STORAGE_PATH": str(folder / "turbo"),
            "STORAGE_PATH_USE_TMP_FOLDER": "false",
            "LOG_LEVEL": "error",
        }
        proc = subprocess.Popen([node, str(TURBO)], env=env, stdout=subprocess.DEVNULL)
        _wait(proc, port, "turborepo-remote-cache")
        return (
            proc,
            f"turbo+http://127.0.0.1:{port}?teamId=bench",
            {"LOCKGATE_REMOTE_TOKEN": TURBO_TOKEN},
        )
    raise ValueError(kind)


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None:
        proc.kill()
        proc.wait()
