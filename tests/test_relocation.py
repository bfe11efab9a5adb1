"""Relocatable keys: another checkout path and another environment of the same packages give
the same keys, so a store made in one clone serves another."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from conftest import Run, copy_project, git, lockgate

import lockgate as lockgate_package

# lockgate itself, from the same folder in both environments (it is not one of the packages
# the fresh environments install).
LOCKGATE_SRC = str(Path(lockgate_package.__file__).resolve().parents[1])


def run_in(python: Path, *args: str | Path) -> Run:
    """``python -m lockgate`` with a given environment's interpreter."""
    env = {**os.environ, "PYTHONPATH": LOCKGATE_SRC}
    env.pop("PYTHONHASHSEED", None)
    proc = subprocess.run(
        [python, "-m", "lockgate", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def verdicts(run: Run) -> dict[str, Any]:
    """Every verdict of a run, by feature and layer, and by suite file."""
    data = run.json
    layers = {
        (f["id"], name): (layer["passed"], layer["detail"])
        for f in data["features"]
        for name, layer in f["layers"].items()
    }
    suite = {s["file"]: (s["passed"], s["detail"]) for s in data["suite"]}
    return {"layers": layers, "suite": suite}


def test_another_clone_in_another_venv_reuses_the_store(
    tmp_path: Path, fresh_venvs: tuple[Path, Path]
) -> None:
    venv_a, python_b = fresh_venvs
    clone_a = copy_project("basic", tmp_path / "alice" / "work")
    clone_b = tmp_path / "ci-runner" / "checkout" / "shop"
    git(tmp_path, "clone", "-q", str(clone_a), str(clone_b))
    # A's environment inside its checkout (as `.venv`), B's elsewhere.
    (clone_a / ".venv").symlink_to(venv_a.parents[1], target_is_directory=True)
    python_a = clone_a / ".venv" / "bin" / "python"

    first = run_in(python_a, "align", "--json", clone_a)
    assert first.code == 0, first.stderr
    assert first.json["summary"]["cache"]["misses"] > 0

    shutil.copytree(clone_a / ".lockgate", clone_b / ".lockgate")
    # Clone A gone: any result that depended on its absolute paths could not be reused.
    clone_a.rename(tmp_path / "alice" / "moved")

    second = run_in(python_b, "align", "--json", clone_b)
    assert second.code == 0, second.stderr
    cache = second.json["summary"]["cache"]
    assert cache["hits"] / (cache["hits"] + cache["misses"]) >= 0.95, cache
    fresh = run_in(python_b, "align", "--json", "--no-cache", clone_b)
    assert verdicts(second) == verdicts(fresh) == verdicts(first)

    # `why` names what differs from the stored fingerprint: one variable, no path of A's.
    feature = first.json["features"][0]["id"]
    env = {**os.environ, "PYTHONPATH": LOCKGATE_SRC, "PYTHONHASHSEED": "7"}
    proc = subprocess.run(
        [python_b, "-m", "lockgate", "why", "--json", feature, clone_b],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    why = Run(proc.returncode, proc.stdout, proc.stderr)
    assert why.code == 0, why.stderr
    changes = [c for layer in why.json["layers"].values() for c in layer["changes"]]
    assert {c["item"] for c in changes if c["kind"] == "environment"} == {"env:PYTHONHASHSEED"}
    for where in (clone_a, venv_a.parents[1], tmp_path / "alice"):
        assert str(where) not in why.stdout


def test_a_configuration_file_above_a_moved_checkout_is_seen(tmp_path: Path) -> None:
    """pytest looks for its configuration in every folder above the root: a store made in
    one checkout and used by another is keyed on the configuration above the other one, not
    on the files above where the store was made."""
    first = copy_project("soundkeys", tmp_path / "a" / "soundkeys")
    assert lockgate("align", first).code in (0, 1)
    second = tmp_path / "b" / "soundkeys"
    shutil.copytree(first, second, symlinks=True)
    assert lockgate("align", second).code in (0, 1)
    # a selection that leaves `reset` uncovered: its feature's tested layer fails
    (tmp_path / "b" / "pytest.ini").write_text('[pytest]\naddopts = -k "not rarely"\n')
    incremental = lockgate("align", "--json", second)
    fresh = lockgate("align", "--json", "--no-cache", second)
    assert verdicts(fresh) != verdicts(lockgate("align", "--json", "--no-cache", first))
    assert verdicts(incremental) == verdicts(fresh)
