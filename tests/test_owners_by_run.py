"""Which test files judge a feature is a function of the tree and of what the tests did with
their current inputs (issue 18): never of the order in which test files ran in one process,
nor of what an earlier run happened to see. Scenario: ``tests/projects/registry`` (plugins
loaded by name, cached once per process, as Faker loads its providers)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, aligned_copy, copy_project, git, lockgate

ALPHA = "shop.plugins.alpha.AlphaPlugin"
BETA = "shop.plugins.beta.BetaPlugin"
GAMMA = "shop.plugins.gamma.GammaPlugin"
DELTA = "shop.plugins.delta.DeltaPlugin"
EXPECTED = {
    ALPHA: "1 test, 100.0% of src/shop/plugins/alpha.py",
    # test_describe.py reaches beta only through a lazy import in shop.helpers: not its test
    BETA: "2 tests, 100.0% of src/shop/plugins/beta.py",
    # loaded by name; each of its two test files covers one method: both judge it
    GAMMA: "2 tests, 100.0% of src/shop/plugins/gamma.py",
    DELTA: (
        "no tests: no test file imports shop.plugins.delta, and there is no "
        "test_delta_plugin.py or test_delta.py"
    ),
}
SUITE = ["tests/test_describe.py", "tests/test_registry.py"]


def verdicts(run: Run) -> dict[str, Any]:
    """Every verdict and detail of a run, features and suite."""
    assert run.stdout, run.stderr
    return {
        "features": {
            f["id"]: {n: (v["passed"], v["detail"]) for n, v in f["layers"].items()}
            for f in run.json["features"]
        },
        "suite": {s["file"]: (s["passed"], s["detail"]) for s in run.json["suite"]},
    }


def details_of(run: Run) -> dict[str, str]:
    return {f["id"]: f["layers"]["tested"]["detail"] for f in run.json["features"]}


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project("registry", tmp_path_factory.mktemp("registry"))


def test_plugins_loaded_by_name_are_judged_by_the_tests_that_run_them(registry: Path) -> None:
    first = lockgate("align", registry, "--json")
    assert details_of(first) == EXPECTED
    assert [s["file"] for s in first.json["suite"]] == SUITE
    fresh = lockgate("align", registry, "--json", "--no-cache")
    assert verdicts(fresh) == verdicts(first)
    # converged: the next run on the unchanged tree reuses every result
    again = lockgate("align", registry, "--json")
    assert again.json["summary"]["cache"]["misses"] == 0
    assert verdicts(again) == verdicts(first)

    why = lockgate("why", GAMMA, "--json", cwd=registry)
    judged = json.loads(why.stdout)["layers"]["tested"]["tests"]
    assert judged == [
        {"file": t, "found": "runs its code, and no test file imports the module"}
        for t in ("tests/test_gamma_behaviour.py", "tests/test_pipeline.py")
    ]
    why = lockgate("why", BETA, "--json", cwd=registry)
    assert json.loads(why.stdout)["layers"]["tested"]["tests"] == [
        {"file": "tests/test_beta_direct.py", "found": "imports shop.plugins.beta"}
    ]
    text = lockgate("why", ALPHA, cwd=registry)
    assert "judged on tests/test_alpha.py (named after it)" in text.stdout


def test_one_test_file_run_alone_gives_the_verdict_of_a_whole_run(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """gamma is imported by whichever of its test files runs first in a process: after an
    edit of one of them (which then runs alone, before planning) the verdicts are those of a
    fresh run, and the next unchanged run reuses everything."""
    root = aligned_copy("registry", tmp_path, tmp_path_factory)  # its first run reuses
    assert details_of(lockgate("align", root, "--json")) == EXPECTED
    for name, line in (
        ("tests/test_pipeline.py", "# the pipeline, once more\n"),
        ("tests/test_gamma_behaviour.py", "# gamma's own behaviour\n"),
        ("tests/test_registry.py", "# loads every plugin\n"),
    ):
        path = root / name
        path.write_text(line + path.read_text())
        git(root, "commit", "-qam", f"edit {name}")
        edited = lockgate("align", root, "--json")
        assert details_of(edited) == EXPECTED, name
        assert verdicts(edited) == verdicts(lockgate("align", root, "--json", "--no-cache"))
        assert lockgate("align", root, "--json").json["summary"]["cache"]["misses"] == 0


def test_a_test_that_stops_running_a_plugin_no_longer_judges_it(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = aligned_copy("registry", tmp_path, tmp_path_factory)  # its first run reuses
    lockgate("align", root, "--json")
    path = root / "tests/test_pipeline.py"
    path.write_text(path.read_text().replace('undo(["gamma"], 6) == 2', "undo([], 6) == 6"))
    git(root, "commit", "-qam", "the pipeline no longer runs gamma")
    edited = lockgate("align", root, "--json")
    assert details_of(edited)[GAMMA] == (
        "1 test passes but covers 83.3% of src/shop/plugins/gamma.py (needs 90%)"
    )
    assert "tests/test_pipeline.py" in [s["file"] for s in edited.json["suite"]]
    assert verdicts(edited) == verdicts(lockgate("align", root, "--json", "--no-cache"))


@pytest.mark.parametrize(
    ("mode", "gamma"),
    [
        ("tree", EXPECTED[DELTA].replace("delta", "gamma")),
        ("imports", EXPECTED[DELTA].replace("delta", "gamma")),
    ],
)
def test_owners_found_at_run_time_can_be_switched_off(
    tmp_path: Path, mode: str, gamma: str
) -> None:
    root = copy_project("registry", tmp_path)
    config = root / "pyproject.toml"
    config.write_text(
        config.read_text().replace("coverage = 90", f'coverage = 90\ntest_owners = "{mode}"')
    )
    git(root, "commit", "-qam", f"test owners: {mode}")
    run = lockgate("align", root, "--json")
    assert details_of(run) == {**EXPECTED, GAMMA: gamma}
    assert verdicts(run) == verdicts(lockgate("align", root, "--json", "--no-cache"))
    bad = config.read_text().replace(f'"{mode}"', '"sometimes"')
    config.write_text(bad)
    error = lockgate("align", root)
    assert error.code == 2 and "test_owners" in error.stderr, error.stderr


def test_a_clone_reads_test_owners_from_the_remote(tmp_path: Path) -> None:
    """A machine that ran the test files publishes what they did: a fresh clone sharing the
    remote knows every feature's test files without running any of them first."""
    root = copy_project("registry", tmp_path)
    (tmp_path / "share").mkdir()
    remote = ["--remote", f"file://{tmp_path / 'share'}"]
    env = {"LOCKGATE_REMOTE_KEY": "a shared secret of the team's CI, long enough"}
    first = lockgate("align", root, *remote, env=env)
    assert "running 6 test files with new inputs first" in first.stderr, first.stderr
    shutil.rmtree(root / ".lockgate")
    clone = lockgate("align", root, *remote, env=env)
    assert "with new inputs first" not in clone.stderr, clone.stderr
    served = lockgate("align", root, "--json", *remote, env=env)
    assert served.json["summary"]["cache"]["misses"] == 0
    assert details_of(served) == EXPECTED


def test_a_failure_in_a_test_that_loads_every_plugin_fails_none_of_them(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Ownership is not widened by tests that merely load or construct a feature while they
    test something else: their failures are theirs (the suite's), not every plugin's."""
    root = aligned_copy("registry", tmp_path, tmp_path_factory)  # its first run reuses
    lockgate("align", root, "--json")
    path = root / "tests/test_registry.py"
    path.write_text(
        path.read_text() + "\n\ndef test_the_shell_command() -> None:\n    assert 1 == 2\n"
    )
    git(root, "commit", "-qam", "an unrelated failure")
    for run in (lockgate("align", root, "--json"), lockgate("align", root, "--json")):
        assert details_of(run) == EXPECTED
        suite = {s["file"]: (s["passed"], s["detail"]) for s in run.json["suite"]}
        assert suite["tests/test_registry.py"][0] is False
        assert "test_the_shell_command" in suite["tests/test_registry.py"][1]
