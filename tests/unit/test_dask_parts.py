"""The Dask executor's pure parts: the executor's address, the configuration key, the tree's
archive and its copy, and results named as the client names its files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_config_load import error, project

from lockgate.execution.dask_address import parse_executor
from lockgate.execution.dask_units import refusal, renamed
from lockgate.execution.results import FileOutcome
from lockgate.execution.sandbox import Sandbox
from lockgate.execution.tree import pack, unpack
from lockgate.execution.worker import ModuleOutcome, Outcome
from lockgate.model import Write
from lockgate.project.config import load


@pytest.mark.parametrize(
    ("value", "scheduler", "loopback"),
    [
        ("dask://127.0.0.1:8786", "tcp://127.0.0.1:8786", True),
        ("dask://localhost:8786", "tcp://localhost:8786", True),
        ("dask://[::1]:8786", "tcp://[::1]:8786", True),
        ("dask://10.0.0.5:8786", "tcp://10.0.0.5:8786", False),
        ("dask+tls://scheduler.example:8786", "tls://scheduler.example:8786", False),
    ],
)
def test_an_executor_names_a_scheduler(value: str, scheduler: str, loopback: bool) -> None:
    address = parse_executor(value)
    assert address is not None
    assert (address.scheduler, address.loopback) == (scheduler, loopback)
    assert address.plain == scheduler.startswith("tcp://")


@pytest.mark.parametrize(
    "value", ["tcp://127.0.0.1:8786", "dask://127.0.0.1", "dask://:8786", "dask://h:x", "dask"]
)
def test_anything_else_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="must be"):
        parse_executor(value)


def test_local_is_no_scheduler() -> None:
    assert parse_executor("local") is None


def test_the_configuration_key(tmp_path: Path) -> None:
    assert load(project(tmp_path / "a")).config.executor == "local"
    table = 'executor = "dask+tls://10.0.0.5:8786"\nexecutor_insecure = true'
    config = load(project(tmp_path / "b", table)).config
    assert (config.executor, config.executor_insecure) == ("dask+tls://10.0.0.5:8786", True)
    message = error(project(tmp_path / "c", 'executor = "tcp://10.0.0.5:8786"'))
    assert message.startswith("pyproject.toml: tool.lockgate.executor: must be"), message


def _tree(root: Path) -> Sandbox:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text("X = 1\n")
    (root / "data.txt").write_text("data\n")
    (root / "link.txt").symlink_to(root / "data.txt")  # absolute, into the root
    return Sandbox(root)


def test_the_tree_travels_as_one_archive_named_by_its_hash(tmp_path: Path) -> None:
    root = tmp_path / "work" / "proj"
    tree = pack(_tree(root))
    assert pack(Sandbox(root)).digest == tree.digest  # the same files, the same archive
    assert set(tree.manifest) == {"pkg/mod.py", "data.txt", "link.txt"}
    copy = unpack(tree, tmp_path / "worker")
    assert copy == Path(os.path.realpath(tmp_path / "worker" / tree.digest)) / str(root)[1:]
    assert (copy / "pkg" / "mod.py").read_text() == "X = 1\n"
    assert not os.path.isabs(os.readlink(copy / "link.txt"))  # points into the copy
    assert (copy / "link.txt").read_text() == "data\n"
    (copy / "data.txt").write_text("changed by a unit\n")
    assert unpack(tree, tmp_path / "worker") == copy  # once per hash: kept, not unpacked again
    (root / "data.txt").write_text("edited\n")
    assert pack(Sandbox(root)).digest != tree.digest


def test_results_are_named_as_the_client_names_its_files() -> None:
    worker, client = "/scratch/lockgate-trees/abc/home/me/proj", "/home/me/proj"
    step = Outcome(False, f"Traceback: {worker}/src/m.py", 0.1, loaded=[f"{worker}/src/m.py"])
    outcome = ModuleOutcome(step, {"C": step})
    file = FileOutcome("tests/t.py", 1, 0, 0, [], None, 0.2, probes=[[f"{worker}/x.py"]])
    value = {
        f"mod:{worker}/t.py": (outcome, file, Write(f"{worker}/out", "created", ("t",))),
    }
    got = renamed(value, worker, client)
    (key,) = got
    assert key == f"mod:{client}/t.py"
    moved, tested, wrote = got[key]
    assert moved.imported.detail == f"Traceback: {client}/src/m.py"
    assert moved.classes["C"].loaded == [f"{client}/src/m.py"]
    assert tested.probes == [[f"{client}/x.py"]]
    assert wrote.path == f"{client}/out"


def test_a_refusal_says_what_differs_and_how_to_match_it() -> None:
    line = refusal("tcp://10.0.0.7:4000", ["env:PYTHONHASHSEED", "env:TZ"])
    assert "tcp://10.0.0.7:4000 runs another environment" in line
    assert "env:PYTHONHASHSEED, env:TZ differ" in line
    assert "--no-nanny" in line
    assert "\n" not in line


def test_the_core_never_imports_distributed() -> None:
    code = (
        "import sys\n"
        "import lockgate.cli, lockgate.pipeline.validate, lockgate.execution.execute\n"
        "import lockgate.commands.align, lockgate.commands.options, lockgate.project.config\n"
        "assert 'distributed' not in sys.modules and 'dask' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
