"""The store: reuse, damage of every kind, two runs at once, inputs moving mid-run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, lockgate


def verdicts(run: Run) -> dict[tuple[str, str], tuple[bool, str]]:
    """(feature, layer) → (passed, detail): what must not depend on the store."""
    assert run.code == 0, run.stderr
    return {
        (f["id"], name): (layer["passed"], layer["detail"])
        for f in run.json["features"]
        for name, layer in f["layers"].items()
    }


def cached(run: Run) -> dict[tuple[str, str], bool]:
    return {
        (f["id"], name): layer["cached"]
        for f in run.json["features"]
        for name, layer in f["layers"].items()
    }


@pytest.fixture
def warm(project: Any) -> tuple[Path, Run]:
    """The basic scenario after one align, and that first run."""
    root = project("basic")
    first = lockgate("align", root, "--json", "--quiet")
    assert first.code == 0, first.stderr
    return root, first


def test_no_change_reuses_every_layer(warm: tuple[Path, Run]) -> None:
    root, first = warm
    assert not any(cached(first).values())
    again = lockgate("align", root, "--json")
    assert all(cached(again).values())
    # 3 features x 6 layers, and tests/test_misc.py which belongs to no feature
    assert again.json["summary"]["cache"] == {
        "hits": 19,
        "misses": 0,
        "remote_hits": 0,
        "remote_errors": 0,
    }
    assert verdicts(again) == verdicts(first)


def test_store_lives_in_dot_lockgate_and_ignores_itself(warm: tuple[Path, Run]) -> None:
    root, _ = warm
    assert (root / ".lockgate" / ".gitignore").read_text() == "*\n"
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    assert status == ""


def test_lockgate_dir_overrides_the_location(project: Any, tmp_path: Path) -> None:
    root = project("basic")
    elsewhere = tmp_path / "elsewhere"
    env = {"LOCKGATE_DIR": str(elsewhere)}
    lockgate("align", root, "--json", env=env)
    assert (elsewhere / "store.sqlite").is_file()
    assert not (root / ".lockgate").exists()
    assert all(cached(lockgate("align", root, "--json", env=env)).values())


def test_no_cache_neither_reads_nor_writes(project: Any) -> None:
    root = project("basic")
    run = lockgate("align", root, "--json", "--no-cache")
    assert not (root / ".lockgate").exists()
    assert not any(cached(run).values())


def test_clear_cache_empties_the_store_first(warm: tuple[Path, Run]) -> None:
    root, _ = warm
    run = lockgate("align", root, "--json", "--clear-cache")
    assert not any(cached(run).values())
    assert all(cached(lockgate("align", root, "--json")).values())


def test_failures_are_reused_unless_retry_failed(warm: tuple[Path, Run]) -> None:
    root, _ = warm
    (root / "docs/guides/cart-service.md").unlink()
    first = lockgate("align", root, "--json")
    assert first.layer("CartService", "documented")["passed"] is False
    assert lockgate("align", root, "--json").layer("CartService", "documented")["cached"]
    retried = lockgate("align", root, "--json", "--retry-failed")
    assert retried.layer("CartService", "documented")["cached"] is False
    assert retried.layer("CartService", "imported")["cached"] is True


def _damage_garbage(db: Path) -> None:
    db.write_bytes(b"this is not a database at all\n" * 100)


def _damage_truncate(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3])


def _damage_pages(db: Path) -> None:
    # every page but the first (the header and the schema stay readable): whichever rows a
    # run reads, the no-change path's snapshot included, it meets the damage
    data = bytearray(db.read_bytes())
    for i in range(4096, len(data)):
        data[i] = (data[i] * 7 + 13) % 256
    db.write_bytes(bytes(data))


def _damage_newer_schema(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")


def _damage_foreign(db: Path) -> None:
    db.unlink()
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE results (x)")
        conn.execute("INSERT INTO results VALUES (1)")


def _damage_empty_file(db: Path) -> None:
    db.write_bytes(b"")


@pytest.mark.parametrize(
    "damage",
    [
        _damage_garbage,
        _damage_truncate,
        _damage_pages,
        _damage_newer_schema,
        _damage_foreign,
        _damage_empty_file,
    ],
)
def test_damaged_store_is_set_aside_and_results_stay_right(
    warm: tuple[Path, Run], damage: Any
) -> None:
    root, first = warm
    db = root / ".lockgate" / "store.sqlite"
    assert db.is_file()
    damage(db)
    run = lockgate("align", root, "--json")
    assert run.code == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert verdicts(run) == verdicts(first)
    if run.stderr:
        assert len(run.stderr.strip().splitlines()) == 1
        assert "warning" in run.stderr
    # the rebuilt store works: the next run reuses everything
    assert all(cached(lockgate("align", root, "--json")).values())


def test_tampered_row_is_never_served(warm: tuple[Path, Run]) -> None:
    """A row whose verdict was changed behind lockgate's back fails its checksum."""
    root, _ = warm
    (root / "docs/guides/cart-service.md").unlink()
    failing = lockgate("align", root, "--json")
    assert failing.layer("CartService", "documented")["passed"] is False
    with sqlite3.connect(root / ".lockgate" / "store.sqlite") as conn:
        changed = conn.execute(
            "UPDATE results SET passed = 1 WHERE layer = 'documented' AND passed = 0"
        ).rowcount
    assert changed == 1
    # A change no documented layer depends on, so that the run looks the row up by its key
    # (with nothing changed at all, the last full result is served whole, tampering unseen).
    misc = root / "tests" / "test_misc.py"
    misc.write_text(misc.read_text() + "\n# touched\n")
    run = lockgate("align", root, "--json")
    layer = run.layer("CartService", "documented")
    assert layer["passed"] is False
    assert layer["cached"] is False


def test_two_runs_at_once_both_finish_with_correct_results(project: Any) -> None:
    root = project("basic")
    reference = verdicts(lockgate("align", root, "--json", "--no-cache"))
    cmd = [sys.executable, "-m", "lockgate", "align", str(root), "--json"]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert verdicts(Run(proc.returncode, out, err)) == reference
    after = lockgate("align", root, "--json")
    assert all(cached(after).values())
    assert verdicts(after) == reference


SLOW_TEST = """
import os, time
from shop.features.cart import CartService


def test_waits_for_the_outer_test():
    open(os.environ["RACE_STARTED"], "w").close()
    deadline = time.time() + 60
    while not os.path.exists(os.environ["RACE_GO"]) and time.time() < deadline:
        time.sleep(0.05)
    assert CartService is not None
"""


def test_input_edited_while_its_layer_runs_is_not_stored(project: Any, tmp_path: Path) -> None:
    root = project("basic")
    (root / "tests" / "test_cart_race.py").write_text(SLOW_TEST)
    started, go = tmp_path / "started", tmp_path / "go"
    env = {**os.environ, "RACE_STARTED": str(started), "RACE_GO": str(go)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lockgate", "align", str(root), "--json", "--jobs", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.time() + 120
    while not started.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.time() < deadline
        time.sleep(0.05)
    cart = root / "src/shop/features/cart.py"
    original = cart.read_bytes()
    cart.write_bytes(original + b"\n# edited while the tests ran\n")
    time.sleep(0.05)
    cart.write_bytes(original)  # back to the content the run was planned on
    go.touch()
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    # The run reports its results, but none of cart's inputs-moved layers were stored:
    rerun = lockgate(
        "align", root, "--json", env={"RACE_STARTED": str(started), "RACE_GO": str(go)}
    )
    assert rerun.layer("CartService", "tested")["cached"] is False
    assert rerun.layer("CartService", "tested")["passed"] is True
    # layers whose inputs never moved were stored and are reused
    assert rerun.layer("CatalogService", "tested")["cached"] is True
    assert rerun.layer("CatalogService", "imported")["cached"] is True


def test_a_timeout_is_stored_as_a_load_dependent_failure(project: Any) -> None:
    """A timeout depends on the machine's load, not only on the inputs (issue 11): it is stored
    as a failure marked load-dependent, reused under its key, and re-run on --retry-failed."""
    root = project("basic")
    pyproject = root / "pyproject.toml"
    # The never-ending file's own limit: a project-wide 3 s held every other test file and
    # import to 3 s as well, which a stalled machine can exceed (PricingService's tests would
    # then fail as load-dependent and run again on --retry-failed, not be reused).
    pyproject.write_text(
        pyproject.read_text() + '\n[tool.lockgate.timeouts]\n"tests/test_cart_slow.py" = 3\n'
    )
    (root / "tests" / "test_cart_slow.py").write_text(
        "import time\n\nfrom shop.features.cart import CartService\n\n\n"
        "def test_never_ends():\n    time.sleep(600)\n    assert CartService\n"
    )
    first = lockgate("align", root, "--json")
    assert first.code == 0, first.stderr
    assert "timed out after 3s" in first.layer("CartService", "tested")["detail"]
    again = lockgate("align", root, "--json")
    tested = again.layer("CartService", "tested")
    assert tested["cached"] is True and tested["passed"] is False
    assert tested["load_dependent"] is True
    assert "timed out" in tested["detail"] and "load-dependent" in tested["detail"]
    assert again.layer("CartService", "imported")["cached"] is True
    assert again.layer("PricingService", "tested")["cached"] is True
    retried = lockgate("align", root, "--json", "--retry-failed")
    assert retried.layer("CartService", "tested")["cached"] is False
    assert "timed out" in retried.layer("CartService", "tested")["detail"]
    assert retried.layer("PricingService", "tested")["cached"] is True


def test_a_listed_environment_variable_is_an_input(project: Any) -> None:
    root = project("basic")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("timeout = 20", 'timeout = 20\nenv = ["APP_MODE"]')
    )
    lockgate("align", root, "--json", env={"APP_MODE": "blue"})
    same = lockgate("align", root, "--json", env={"APP_MODE": "blue"})
    assert all(cached(same).values())
    other = lockgate("align", root, "--json", env={"APP_MODE": "green"})
    assert not any(cached(other).values())
    unlisted = lockgate("align", root, "--json", env={"APP_MODE": "green", "OTHER": "x"})
    assert all(cached(unlisted).values())


def test_a_touched_file_with_the_same_content_reuses_every_result(
    warm: tuple[Path, Run],
) -> None:
    root, first = warm
    cart = root / "src/shop/features/cart.py"
    cart.write_bytes(cart.read_bytes())  # new mtime, same bytes
    again = lockgate("align", root, "--json")
    assert all(cached(again).values())
    assert verdicts(again) == verdicts(first)


def test_no_change_run_is_recorded_in_the_statistics(warm: tuple[Path, Run]) -> None:
    root, _ = warm
    lockgate("align", root, "--json")
    stats = lockgate("cache", "stats", root, "--json")
    assert stats.code == 0, stats.stderr
    runs = stats.json["runs"]
    assert [r["command"] for r in runs[:2]] == ["align", "align"]
    assert runs[0]["hits"] == 19 and runs[0]["misses"] == 0
    assert runs[1]["hits"] == 0 and runs[1]["misses"] == 19
    assert runs[0]["saved"] > 0


def test_declared_inputs_are_inputs_of_every_layer(project: Any) -> None:
    root = project("basic")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("timeout = 20", 'timeout = 20\ninputs = ["data/*.json"]')
    )
    (root / "data").mkdir()
    (root / "data" / "prices.json").write_text('{"tea": 450}\n')
    lockgate("align", root, "--json")
    assert all(cached(lockgate("align", root, "--json")).values())
    (root / "data" / "rates.json").write_text('{"vat": 20}\n')  # a new file matching the glob
    added = lockgate("align", root, "--json")
    assert added.layer("CartService", "imported")["cached"] is False
    assert added.layer("CartService", "tested")["cached"] is False
    assert all(cached(lockgate("align", root, "--json")).values())
    (root / "data" / "prices.json").write_text('{"tea": 500}\n')
    edited = lockgate("align", root, "--json")
    assert edited.layer("PricingService", "instantiated")["cached"] is False


def test_interpreter_settings_every_run_inherits_are_inputs(warm: tuple[Path, Run]) -> None:
    """PYTEST_ADDOPTS reaches every test process, listed in `env` or not."""
    root, first = warm
    narrowed = lockgate("align", root, "--json", env={"PYTEST_ADDOPTS": "-k no_such_test"})
    tested = narrowed.layer("CartService", "tested")
    assert tested["cached"] is False
    assert tested["passed"] is False and "no test ran" in tested["detail"]
    back = lockgate("align", root, "--json")
    assert all(cached(back).values())
    assert verdicts(back) == verdicts(first)


def test_a_folder_put_on_the_python_path_is_an_input(
    warm: tuple[Path, Run], tmp_path: Path
) -> None:
    root, _ = warm
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    run = lockgate("align", root, "--json", env={"PYTHONPATH": str(shadow)})
    assert run.layer("CartService", "imported")["cached"] is False


@pytest.mark.parametrize(
    "damage",
    [_damage_garbage, _damage_truncate, _damage_pages, _damage_newer_schema, _damage_foreign],
)
def test_a_store_set_aside_says_so_once_even_when_nothing_changed(
    warm: tuple[Path, Run], damage: Any
) -> None:
    root, first = warm
    damage(root / ".lockgate" / "store.sqlite")
    run = lockgate("align", root, "--json")
    assert verdicts(run) == verdicts(first)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "moved it to store.sqlite.damaged-" in lines[0], run.stderr
    assert list((root / ".lockgate").glob("store.sqlite.damaged-*"))


HOLD_LOCK = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(120)
"""


def test_a_locked_store_is_waited_for_then_used_without_writing(warm: tuple[Path, Run]) -> None:
    root, first = warm
    db = root / ".lockgate" / "store.sqlite"
    runs_before = len(lockgate("cache", "stats", root, "--json").json["runs"])
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        run = lockgate("align", root, "--json", env={"LOCKGATE_BUSY_TIMEOUT": "1"})
    finally:
        holder.kill()
        holder.communicate()
    assert verdicts(run) == verdicts(first)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "locked by another process" in lines[0], run.stderr
    assert not list((root / ".lockgate").glob("store.sqlite.damaged-*"))
    assert len(lockgate("cache", "stats", root, "--json").json["runs"]) == runs_before
    assert all(cached(lockgate("align", root, "--json")).values())


def _as_unprivileged() -> list[str]:
    """A prefix under which file permissions hold: root ignores them, so drop to a user
    namespace where the files' owner is unmapped (``unshare -U``)."""
    if os.geteuid() != 0:
        return []
    probe = subprocess.run(["unshare", "-U", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("running as root without user namespaces: permissions cannot be tested")
    return ["unshare", "-U"]


def test_a_read_only_store_is_used_read_only_and_never_moved(warm: tuple[Path, Run]) -> None:
    root, first = warm
    folder = root / ".lockgate"
    touched = root / "tests" / "test_misc.py"  # past the snapshot: every row is read by key
    touched.write_text(touched.read_text() + "\n# touched\n")
    before = sorted(p.name for p in folder.iterdir())
    for path in folder.iterdir():
        path.chmod(0o444)
    folder.chmod(0o555)
    try:
        proc = subprocess.run(
            [*_as_unprivileged(), sys.executable, "-m", "lockgate", "align", str(root), "--json"],
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        folder.chmod(0o755)
        for path in folder.iterdir():
            path.chmod(0o644)
    run = Run(proc.returncode, proc.stdout, proc.stderr)
    assert verdicts(run) == verdicts(first)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "read-only" in lines[0], run.stderr
    assert sorted(p.name for p in folder.iterdir()) == before
    assert lockgate("align", root, "--json").layer("CartService", "tested")["cached"]


def test_a_file_where_the_store_folder_should_be_is_one_line(project: Any, tmp_path: Path) -> None:
    root = project("basic")
    (root / ".lockgate").write_text("not a folder\n")
    blocker = tmp_path / "plain-file"
    blocker.write_text("x\n")
    for env in ({}, {"LOCKGATE_DIR": str(blocker / "store")}):
        run = lockgate("align", root, "--json", env=env)
        assert run.code == 2, run.stderr
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and "lockgate: error:" in lines[0], run.stderr
        assert "internal error" not in run.stderr
