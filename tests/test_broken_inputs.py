"""What lockgate cannot judge fails closed: broken feature files, symlinks, empty tables,
configured paths outside the project, folders the walk used to skip.

Each test copies the ``basic`` scenario (three services under ``src/shop/features``, see its
README.md) into a real git repository, changes it as a user might, and runs lockgate.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, copy_project, git, lockgate

from lockgate.keys.hashing import RACY_NS

FEATURES = "src/shop/features"
SERVICES = ["CartService", "CatalogService", "PricingService"]


def align(root: Path, *args: str) -> Run:
    return lockgate("align", "--json", *args, root, cwd=root)


def commit(root: Path, message: str = "change") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def settle(path: Path) -> None:
    """Date a freshly written file back, out of the window in which lockgate re-reads files
    because their timestamp may not have ticked yet, so the no-change path may serve it."""
    past = time.time() - 60
    os.utime(path, (past, past), follow_symlinks=False)


def wait_out_racy_window(root: Path) -> None:
    """Sleep until every file under ``root`` was changed more than the racy window ago."""
    newest = 0
    for folder, folders, names in os.walk(root):
        folders[:] = [f for f in folders if f not in (".git", ".lockgate")]
        for name in names:
            newest = max(newest, os.lstat(os.path.join(folder, name)).st_ctime_ns)
    time.sleep(max(0.0, (newest + RACY_NS - time.time_ns()) / 1e9 + 0.1))


def comparable(run: Run) -> dict[str, Any]:
    """The verdicts of a run without what says how they were obtained (reuse, time)."""
    assert run.code == 0, run.stderr
    out = {}
    for f in run.json["features"]:
        layers = {k: (v["passed"], v["detail"]) for k, v in f["layers"].items()}
        out[f["id"]] = (f["score"], f["status"], f.get("broken"), layers)
    return out


# -- files that cannot be read or parsed ---------------------------------------------------


def write_bytes(data: bytes) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_bytes(data)

    return make


def dangling(path: Path) -> None:
    path.symlink_to("nowhere.py")


def loop(path: Path) -> None:
    path.symlink_to(path.name)  # opening it fails: too many levels of symbolic links


def unreadable(path: Path) -> None:
    path.write_text("class LockedService:\n    pass\n")
    path.chmod(0)


BROKEN: dict[str, tuple[Callable[[Path], None], str]] = {
    "syntax-error": (write_bytes(b'"""Half a module."""\n\ndef broken(:\n'), ":3: SyntaxError"),
    "nul-byte": (write_bytes(b'x = 1\ny = "\0"\n'), ":2: SyntaxError"),
    "undeclared-latin-1": (write_bytes(b'x = 1\n\ny = "caf\xe9"\n'), ":3: SyntaxError"),
    "dangling-symlink": (dangling, ": dangling symlink to 'nowhere.py'"),
    "symlink-loop": (loop, ": Too many levels of symbolic links"),
    "unreadable": (unreadable, ": Permission denied"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_feature_file_is_a_failure_naming_file_and_line(project: Any, case: str) -> None:
    if case == "unreadable" and os.geteuid() == 0:
        pytest.skip("root reads files whatever their permission bits")
    make, expected = BROKEN[case]
    root = project("basic")
    make(root / FEATURES / "broken.py")
    commit(root)

    run = align(root)

    assert run.code == 0, run.stderr
    rows = {f["id"]: f for f in run.json["features"]}
    path = f"{FEATURES}/broken.py"
    assert sorted(f["name"] for f in rows.values() if not f.get("broken")) == SERVICES
    row = rows[path]
    assert (row["name"], row["kind"], row["path"]) == ("broken.py", "service", path)
    assert (row.get("broken"), row["internal"], row["score"], row["status"]) == (
        True,
        False,
        0,
        "critical",
    )
    assert not any(layer["passed"] for layer in row["layers"].values())
    assert set(row["layers"]) == {
        "discovered",
        "imported",
        "instantiated",
        "documented",
        "tested",
        "wired",
    }
    detail = row["layers"]["discovered"]["detail"]
    assert path + expected in detail, detail
    assert row["layers"]["imported"]["detail"].startswith(f"not judged: {path} ")
    assert run.json["summary"]["critical"] >= 1

    under = lockgate("align", "--fail-under", "1", root, cwd=root, env={"COLUMNS": "200"})
    assert under.code == 1, under.stdout + under.stderr
    assert "broken.py" in under.stdout and path + expected in under.stdout


def test_a_syntax_error_blocks_deploy_shows_in_html_and_is_served_by_the_no_change_path(
    project: Any, tmp_path: Path
) -> None:
    root = project("basic")
    broken = root / FEATURES / "cart_v2.py"
    broken.write_text('"""The next cart."""\n\n\nclass CartV2Service(:\n    pass\n')
    settle(broken)
    commit(root)
    detail = f"cannot parse {FEATURES}/cart_v2.py:4: SyntaxError: invalid syntax"

    first = align(root)
    # The stat cache trusts a file only once its hash is taken 2 s after its ctime, and the
    # fixture's copy is fresh: a run after that moment re-hashes and records trusted stats, and
    # the run after it is the no-change path's, however fast the machine ran the first.
    wait_out_racy_window(root)
    align(root)
    second = align(root)

    assert first.code == 0 and second.code == 0, first.stderr + second.stderr
    assert comparable(first) == comparable(second)
    row = next(f for f in second.json["features"] if f.get("broken"))
    assert row["layers"]["discovered"]["detail"] == detail
    assert second.json["summary"]["cache"]["misses"] == 0
    assert all(layer["cached"] for f in second.json["features"] for layer in f["layers"].values())

    page = tmp_path / "report.html"
    report = lockgate("report", "--html", page, root, cwd=root)
    assert report.code == 0, report.stderr
    assert detail in page.read_text()

    deployed = lockgate("deploy", "--json", root, cwd=root)
    assert deployed.code == 1, deployed.stderr
    gates = {g["name"]: g for g in deployed.json["gates"]}
    assert gates["integration"]["passed"] is False
    assert f"{FEATURES}/cart_v2.py 0" in gates["integration"]["detail"]
    assert deployed.json["deployed"] is False


# -- symlinks ------------------------------------------------------------------------------


def linked(root: Path, link: str, target: str) -> None:
    """Move ``link`` to ``target`` and leave a relative symlink to it in its place."""
    (root / link).rename(root / target)
    (root / link).symlink_to(os.path.relpath(root / target, (root / link).parent))


@pytest.mark.parametrize(
    ("link", "target"),
    [(FEATURES, "src/shop/features_real"), ("src", "src_real")],
    ids=["feature-folder", "src-root"],
)
def test_symlinked_folders_inside_the_project_validate_as_the_real_ones(
    tmp_path: Path, link: str, target: str
) -> None:
    plain = comparable(align(copy_project("basic", tmp_path / "plain")))
    root = copy_project("basic", tmp_path / "linked", commit=False)
    linked(root, link, target)
    commit(root)

    assert comparable(align(root, "--no-cache")) == plain
    assert len(plain) == 3


def test_a_symlink_cycle_is_walked_once(project: Any) -> None:
    root = project("basic")
    (root / FEATURES / "again").symlink_to("..")
    run = align(root)
    assert sorted(f["name"] for f in run.json["features"]) == SERVICES


@pytest.mark.parametrize("name", ["extra", "extra.py"], ids=["folder", "module"])
def test_a_symlink_leaving_the_project_is_a_configuration_error(
    project: Any, tmp_path: Path, name: str
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "extra.py").write_text("class ExtraService:\n    pass\n")
    root = project("basic")
    (root / FEATURES / name).symlink_to(outside / name if name.endswith(".py") else outside)

    run = align(root)

    assert run.code == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "pyproject.toml" in lines[0] and "tool.lockgate.src[0]" in lines[0]
    assert f"'{FEATURES}/{name}'" in lines[0] and str(outside) in lines[0]


# -- feature tables that find nothing ------------------------------------------------------

EMPTY_TABLE = """
[[tool.lockgate.features]]
kind = "gadget"
paths = ["src/shop"]
classes = ["*Gadget"]
"""


def add_table(root: Path, table: str) -> None:
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    marker = "[tool.lockgate.docs]"
    assert marker in text, "scenario changed"
    pyproject.write_text(text.replace(marker, table.lstrip() + "\n" + marker))


def test_a_table_that_finds_nothing_is_an_error(project: Any) -> None:
    root = project("basic")
    add_table(root, EMPTY_TABLE)
    run = align(root)
    assert run.code == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "pyproject.toml: tool.lockgate.features[1]" in lines[0]
    assert "allow_empty" in lines[0]


def test_allow_empty_lets_a_table_find_nothing(project: Any) -> None:
    root = project("basic")
    add_table(root, EMPTY_TABLE + "allow_empty = true\n")
    run = align(root)
    assert run.code == 0, run.stderr
    assert sorted(f["name"] for f in run.json["features"]) == SERVICES


def test_a_table_whose_only_file_is_broken_is_not_empty(project: Any) -> None:
    root = project("basic")
    (root / "src/shop/gadgets").mkdir()
    (root / "src/shop/gadgets/gizmo.py").write_text("class GizmoGadget(\n")
    add_table(root, EMPTY_TABLE.replace('"src/shop"', '"src/shop/gadgets"'))
    run = align(root)
    assert run.code == 0, run.stderr
    row = next(f for f in run.json["features"] if f["kind"] == "gadget")
    assert row["broken"] is True and row["id"] == "src/shop/gadgets/gizmo.py"


# -- folders the walk used to skip ---------------------------------------------------------


def test_a_feature_importing_a_build_package_is_keyed_on_it(project: Any) -> None:
    root = project("basic", commit=False)
    words = root / "src/shop/build/words.py"
    words.parent.mkdir()
    (words.parent / "__init__.py").write_text("")
    words.write_text('GREETING = "hello"\n')
    cart = root / FEATURES / "cart.py"
    cart.write_text(
        cart.read_text()
        + "\n\ndef greeting() -> str:\n"
        + '    """The word the cart greets with."""\n'
        + "    from shop.build.words import GREETING\n\n    return GREETING\n"
    )
    test = root / "tests/test_cart.py"
    test.write_text(
        test.read_text()
        + "\n\ndef test_greeting():\n"
        + "    from shop.features.cart import greeting\n\n"
        + '    assert greeting() == "hello"\n'
    )
    commit(root, "initial")
    assert align(root).layer("CartService", "tested")["passed"] is True

    words.write_text('GREETING = "bye!!"\n')  # same size, so only the content tells
    incremental, fresh = align(root), align(root, "--no-cache")

    assert comparable(incremental) == comparable(fresh)
    assert fresh.layer("CartService", "tested")["passed"] is False
