"""Block-level keys for `tested` (issue 11: a big conftest made every edit near-cold).

The `blockkeys` scenario's conftest imports `shop.base`, so every helper module is in every test
file's static closure. After each edit, an incremental `align --json` must re-run exactly the
tested results whose run executed what changed, and give the verdicts of `--no-cache`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from conftest import Run, copy_project, lockgate

FEATURES = {
    "AddService",
    "FeeService",
    "GreetService",
    "MulService",
    "RateService",
    "SizeService",
    "DocService",
    "SourceService",
    "TableService",
    "SpawnService",
}


def _align(root: Path, *flags: str) -> Run:
    run = lockgate("align", root, "--json", "--quiet", *flags)
    assert run.code == 0, run.stderr
    return run


def verdicts(run: Run) -> dict[str, tuple[bool, str]]:
    """Feature name → the tested verdict."""
    return {
        f["name"]: (f["layers"]["tested"]["passed"], f["layers"]["tested"]["detail"])
        for f in run.json["features"]
    }


def rerun(run: Run) -> set[str]:
    """The features whose tested result was not served from the store."""
    return {f["name"] for f in run.json["features"] if not f["layers"]["tested"]["cached"]}


def replace(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, f"{rel} has no {old!r}"
    path.write_text(text.replace(old, new, 1))


def check(root: Path, label: str, reran: set[str], failing: set[str]) -> None:
    """After an edit: exactly ``reran`` re-run, ``failing`` fail, as with ``--no-cache``."""
    incremental = _align(root)
    assert rerun(incremental) == reran, label
    fresh = _align(root, "--no-cache")
    assert verdicts(incremental) == verdicts(fresh), f"{label}: incremental != --no-cache"
    assert {n for n, (ok, _) in verdicts(fresh).items() if not ok} == failing, label


def test_block_keys_follow_what_ran(tmp_path: Path) -> None:
    root = copy_project("blockkeys", tmp_path)
    first = _align(root)
    assert rerun(first) == FEATURES
    assert all(ok for ok, _ in verdicts(first).values()), verdicts(first)

    # A comment and a function nobody calls: their files are in every closure, nothing re-runs
    # but the test that started a process (what ran there is unknown: every file counts whole).
    replace(root, "src/shop/util.py", "# adds", "# sums the two")
    replace(root, "src/shop/util.py", '"nobody calls this"', '"still nobody"')
    narrow = _align(root)
    assert rerun(narrow) == {"SpawnService"}
    # and the run says so, with the program the test started (the interpreter)
    program = Path(sys.executable).name
    # and what the place's watch saw it do (issue 21): the process read the project
    (warned,) = [w for w in narrow.stderr.splitlines() if "whole files" in w]
    assert re.fullmatch(
        re.escape(
            "lockgate: warning: shop.features.spawn.SpawnService (tested): keyed on whole files, "
            "not on the function bodies it ran: code ran where coverage's tracer could not see "
            f"it (started a process: {program} (src/shop/features/spawn.py), and a started "
            "process may have read or written the project ("
        )
        + r"\S+ was opened \d+ times, \d+ by the test process\)\)",
        warned,
    ), warned

    # Shared state: `rate` is cached (functools.cache): its body ran for test_fee.py, and
    # test_rate.py read the cache; `seed` ran in a session fixture that test_size.py set up and
    # test_table.py reused. Both count for every test file that loaded util.py.
    replace(root, "src/shop/util.py", "    return 2\n", "    return 3\n")
    replace(root, "src/shop/util.py", "    return 7\n", "    return 8\n")
    failing = {"FeeService", "RateService", "SizeService", "DocService", "TableService"}
    check(root, "cached and fixture bodies", FEATURES, failing)

    # Executed bodies: `add` ran under AddService's tests only; `make_table` ran when
    # test_mul.py imported shop.tables, and TableService's test imported it after (loaded);
    # `mul` ran for MulService, and in the child process test_spawn.py started.
    replace(root, "src/shop/util.py", "return a + b", "return a + b + 1")
    replace(root, "src/shop/util.py", '{"size": 3}', '{"size": 4}')
    replace(root, "src/shop/util.py", "return a * b", "return a * b + 1")
    ran = {"AddService", "MulService", "TableService", "SpawnService"}
    failing |= ran
    check(root, "executed bodies", ran, failing)

    # Module-level code runs for every importer: a default, a decorator, a class attribute, a
    # docstring read through __doc__.
    replace(root, "src/shop/util.py", 'name="world"', 'name="there"')
    replace(root, "src/shop/util.py", "@twice\n", "")
    replace(root, "src/shop/util.py", "    size = 3", "    size = 4")
    replace(root, "src/shop/util.py", '"""Doc text."""', '"""Other text."""')
    failing |= {"GreetService"}
    check(root, "module-level code", FEATURES, failing)

    # A comment in a body read as text (inspect.getsource): that file counts whole for the
    # test that read it (and the one that started a process), for no other.
    replace(root, "src/shop/text.py", "# five", "# six")
    failing |= {"SourceService"}
    check(root, "source read as data", {"SourceService", "SpawnService"}, failing)


def test_a_process_a_conftest_starts_is_one_warning_for_every_result_it_reaches(
    tmp_path: Path,
) -> None:
    root = copy_project("basic", tmp_path / "shop")
    # the process reads a file of the project: what it did there is unknown
    (root / "tests/conftest.py").write_text(
        "import subprocess\n\nsubprocess.run(['cat', 'pyproject.toml'], check=True)\n"
    )
    run = lockgate("align", root, "--quiet")
    assert run.code in (0, 1), run.stderr
    warned = [w for w in run.stderr.splitlines() if "whole files" in w]
    assert len(warned) == 1, warned
    assert warned[0].startswith("lockgate: warning: ") and " results (" in warned[0]
    # with what the place's watch saw (issue 21): one open more than the test process made
    found = re.search(
        re.escape(
            "keyed on whole files, not on the function bodies they ran: code ran where "
            "coverage's tracer could not see it (started a process: cat (tests/conftest.py), and "
            "a started process may have read or written the project (pyproject.toml was opened "
        )
        + r"(\d+) times, (\d+) by the test process\)\)$",
        warned[0],
    )
    assert found is not None and int(found[1]) == int(found[2]) + 1, warned[0]
