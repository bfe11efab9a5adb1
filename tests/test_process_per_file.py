"""One process per test file (issue 18): a test file's verdict does not depend on which files
ran before it in the same process, so an incremental run agrees with ``--no-cache``.

The scenario: a module hands out one welcome coupon per process. Two test files each claim it.
In a process they share, whichever runs second fails, so the verdict of each depended on how
lockgate grouped the files (all together in a full run, the edited one alone after an edit).
"""

from __future__ import annotations

from pathlib import Path

from conftest import Run, copy_project, git, lockgate

COUPON = '''"""One welcome coupon per process."""

_CLAIMED: list[bool] = []


def claim() -> bool:
    """True the first time only."""
    if _CLAIMED:
        return False
    _CLAIMED.append(True)
    return True
'''
CLAIM_TEST = (
    "\n\ndef test_claims_the_coupon():\n    from shop.first import claim\n\n    assert claim()\n"
)


def _claiming(tmp_path: Path) -> Path:
    root = copy_project("basic", tmp_path)
    (root / "src/shop/first.py").write_text(COUPON, encoding="utf-8")
    for name in ("test_cart.py", "test_catalog.py"):
        with open(root / "tests" / name, "a", encoding="utf-8") as test:
            test.write(CLAIM_TEST)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "coupon")
    return root


def _align(root: Path, *flags: str) -> Run:
    run = lockgate("align", root, "--json", "--quiet", *flags)
    assert run.code in (0, 1), run.stderr
    return run


def _tested(run: Run) -> dict[str, tuple[bool, str]]:
    return {
        f["name"]: (f["layers"]["tested"]["passed"], f["layers"]["tested"]["detail"])
        for f in run.json["features"]
        if "tested" in f["layers"]
    }


def test_files_that_share_process_state_each_pass_alone(tmp_path: Path) -> None:
    root = _claiming(tmp_path)
    tested = _tested(_align(root, "--no-cache"))
    assert tested["CartService"][0], tested["CartService"]
    assert tested["CatalogService"][0], tested["CatalogService"]


def test_an_edit_gives_the_verdicts_of_a_full_run(tmp_path: Path) -> None:
    root = _claiming(tmp_path)
    _align(root)
    for name in ("test_catalog.py", "test_cart.py"):
        with open(root / "tests" / name, "a", encoding="utf-8") as test:
            test.write("# edited\n")
        incremental = _tested(_align(root))
        assert incremental == _tested(_align(root, "--no-cache")), name
