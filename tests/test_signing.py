"""Every stored row that lets lockgate reuse a result is authenticated under a per-user secret."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, lockgate


def verdicts(run: Run) -> dict[tuple[str, str], tuple[bool, str]]:
    assert run.code == 0, run.stderr
    return {
        (f["id"], name): (layer["passed"], layer["detail"])
        for f in run.json["features"]
        for name, layer in f["layers"].items()
    }


def cached(run: Run) -> list[bool]:
    return [layer["cached"] for f in run.json["features"] for layer in f["layers"].values()]


def db(root: Path) -> sqlite3.Connection:
    return sqlite3.connect(root / ".lockgate" / "store.sqlite", isolation_level=None)


def touch_unrelated(root: Path) -> None:
    """A real edit no documented layer depends on: the run takes the keyed path."""
    misc = root / "tests" / "test_misc.py"
    misc.write_text(misc.read_text() + "\n# touched\n")


@pytest.fixture
def failing_guide(project: Any) -> tuple[Path, Run]:
    """The basic scenario with CartService's guide removed, after one run."""
    root = project("basic")
    (root / "docs/guides/cart-service.md").unlink()
    first = lockgate("align", root, "--json")
    assert first.layer("CartService", "documented")["passed"] is False
    return root, first


def test_a_flipped_verdict_with_a_recomputed_checksum_is_never_served(
    failing_guide: tuple[Path, Run],
) -> None:
    """The forgery of issue 10: anyone who can write the store recomputes an unkeyed checksum."""
    root, first = failing_guide
    with db(root) as conn:
        key, detail, seconds, pieces = conn.execute(
            "SELECT key, detail, seconds, pieces FROM results "
            "WHERE layer = 'documented' AND passed = 0"
        ).fetchone()
        raw = json.dumps([key, True, detail, float(seconds), pieces.hex()]).encode()
        forged = hashlib.blake2b(raw, digest_size=12).hexdigest()
        conn.execute("UPDATE results SET passed = 1, checksum = ? WHERE key = ?", (forged, key))
    touch_unrelated(root)
    run = lockgate("align", root, "--json")
    layer = run.layer("CartService", "documented")
    assert layer["passed"] is False
    assert layer["cached"] is False
    assert verdicts(run) == verdicts(first)


def test_a_forged_snapshot_is_never_served(failing_guide: tuple[Path, Run]) -> None:
    root, first = failing_guide
    assert lockgate("align", root, "--json").layer("CartService", "documented")["cached"]
    with db(root) as conn:
        for scope, blob in conn.execute("SELECT scope, result FROM snapshot").fetchall():
            data = json.loads(zlib.decompress(blob))
            for feature in data["result"]["features"]:
                for layer in feature["layers"].values():
                    layer["passed"] = True
                    layer["detail"] = ""
            conn.execute(
                "UPDATE snapshot SET result = ? WHERE scope = ?",
                (zlib.compress(json.dumps(data).encode()), scope),
            )
    run = lockgate("align", root, "--json")
    assert run.layer("CartService", "documented")["passed"] is False
    assert verdicts(run) == verdicts(first)


def test_a_forged_stat_row_never_hides_an_edit(project: Any) -> None:
    root = project("basic")
    first = lockgate("align", root, "--json")
    guide = root / "docs/guides/cart-service.md"
    guide.write_text(guide.read_text() + "\nTODO: finish\n")
    st = guide.stat()
    with db(root) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(stat)")}
        now = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns}
        now |= {"inode": st.st_ino, "recorded_ns": time.time_ns() + 10**12}
        sets = ", ".join(f"{c} = :{c}" for c in now if c in columns)
        changed = conn.execute(
            f"UPDATE stat SET {sets} WHERE path = 'docs/guides/cart-service.md'", now
        ).rowcount
    assert changed == 1
    run = lockgate("align", root, "--json")
    documented = run.layer("CartService", "documented")
    assert documented["passed"] is False and "unfinished" in documented["detail"]
    assert first.layer("CartService", "documented")["passed"] is True


def test_forged_facts_are_never_used(project: Any) -> None:
    root = project("basic")
    first = lockgate("align", root, "--json")
    with db(root) as conn:  # facts are stored compressed: forged in their text
        changed = 0
        for name, data in conn.execute("SELECT hash, data FROM facts").fetchall():
            text = zlib.decompress(data).decode()
            if "CartService" in text:
                forged = zlib.compress(text.replace("CartService", "CartServicf").encode())
                conn.execute("UPDATE facts SET data = ? WHERE hash = ?", (forged, name))
                changed += 1
    assert changed > 0
    touch_unrelated(root)
    run = lockgate("align", root, "--json")
    assert sorted(f["name"] for f in run.json["features"]) == sorted(
        f["name"] for f in first.json["features"]
    )
    assert verdicts(run) == verdicts(first)


def test_a_store_written_under_one_key_serves_nothing_under_another(project: Any) -> None:
    root = project("basic")
    first = lockgate(
        "align", root, "--json", env={"LOCKGATE_KEY": "first secret, long enough for lockgate"}
    )
    same = lockgate(
        "align", root, "--json", env={"LOCKGATE_KEY": "first secret, long enough for lockgate"}
    )
    assert all(cached(same))
    touch_unrelated(root)  # past the snapshot too: every row is looked up by its key
    other = lockgate(
        "align", root, "--json", env={"LOCKGATE_KEY": "second secret, long enough for lockgate"}
    )
    assert not any(cached(other))
    assert verdicts(other) == verdicts(first)
    assert all(
        cached(
            lockgate(
                "align",
                root,
                "--json",
                env={"LOCKGATE_KEY": "second secret, long enough for lockgate"},
            )
        )
    )


def test_health_counts_rows_that_fail_verification_and_repair_drops_them(project: Any) -> None:
    root = project("basic")
    assert (
        lockgate(
            "align", root, "--json", env={"LOCKGATE_KEY": "one secret, long enough for lockgate"}
        ).code
        == 0
    )
    other = {"LOCKGATE_KEY": "two secret, long enough for lockgate"}
    health = lockgate("cache", "health", root, "--json", env=other)
    assert health.code == 1, health.stderr
    assert health.json["status"] == "critical"
    messages = [f["message"] for f in health.json["findings"]]
    assert any("fail verification" in m and "19 results" in m for m in messages), messages
    repaired = lockgate("cache", "health", root, "--json", "--repair", env=other)
    assert repaired.code == 0, repaired.stdout + repaired.stderr
    assert any("dropped" in r and "19 results" in r for r in repaired.json["repaired"])
    assert not any("fail verification" in f["message"] for f in repaired.json["findings"])
    with db(root) as conn:
        assert conn.execute("SELECT count(*) FROM results").fetchone()[0] == 0
    assert (
        lockgate(
            "cache",
            "health",
            root,
            "--json",
            env={"LOCKGATE_KEY": "one secret, long enough for lockgate"},
        ).code
        == 0
    )


def test_the_key_file_is_private_and_outside_the_project(project: Any, tmp_path: Path) -> None:
    root = project("basic")
    config = tmp_path / "config"
    env = {"XDG_CONFIG_HOME": str(config)}
    lockgate("align", root, "--json", env=env)
    key_file = config / "lockgate" / "key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    secret = key_file.read_bytes().strip()
    assert len(secret) >= 32
    store = (root / ".lockgate" / "store.sqlite").read_bytes()
    assert secret not in store
    touch_unrelated(root)
    assert all(cached(lockgate("align", root, "--json", env=env)))  # the same key again
    assert key_file.read_bytes().strip() == secret


def test_the_key_file_defaults_to_the_home_config_folder(
    project: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME")
    root = project("basic")
    assert lockgate("align", root, "--json").code == 0
    key_file = Path(os.environ["HOME"]) / ".config" / "lockgate" / "key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_a_key_file_others_can_read_is_refused(project: Any, tmp_path: Path) -> None:
    root = project("basic")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    assert lockgate("align", root, "--json", env=env).code == 0
    key_file = tmp_path / "config" / "lockgate" / "key"
    key_file.chmod(0o644)
    run = lockgate("align", root, "--json", env=env)
    assert run.code == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and str(key_file) in lines[0] and "0644" in lines[0], run.stderr
    assert "Traceback" not in run.stderr
