"""``lockgate cleanup``: planted orphans of each kind in the basic shop, found with why, and
nothing else; ``--apply`` runs ``git rm`` on the tracked ones, never on a dirty tree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import git, lockgate

GUIDE = "# Gone service\n\n" + "It used to do things. " * 20 + "\n"


def _plant(root: Path) -> None:
    (root / "docs/guides/gone-service.md").write_text(GUIDE)
    (root / "src/shop/dead.py").write_text('"""Nothing imports this."""\n\nVALUE = 1\n')
    (root / "tests/test_nothing.py").write_text(
        '"""No tests here."""\n\n\ndef helper():\n    return 1\n'
    )
    (root / "wiring.txt").write_text("CartService\nGhostService\n")
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(text + '\n[tool.lockgate.wiring]\nmaps = ["wiring.txt"]\n')
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "plant orphans")


def test_cleanup_finds_each_planted_orphan_and_nothing_else(project: Any) -> None:
    root: Path = project("basic")
    clean = lockgate("cleanup", "--json", root)
    assert clean.code == 0, clean.stderr
    assert clean.json["unused"] == []
    _plant(root)

    run = lockgate("cleanup", "--json", root)
    assert run.code == 0, run.stderr
    found = {(u["kind"], u["path"], u.get("name", "")): u for u in run.json["unused"]}
    assert sorted(found) == [
        ("guide", "docs/guides/gone-service.md", ""),
        ("module", "src/shop/dead.py", ""),
        ("test", "tests/test_nothing.py", ""),
        ("wiring", "wiring.txt", "GhostService"),
    ]
    assert all(u["why"] for u in found.values())
    assert (
        "guide template docs/guides/{kebab}.md"
        in found["guide", "docs/guides/gone-service.md", ""]["why"]
    )
    assert found["wiring", "wiring.txt", "GhostService"]["why"] == (
        "wiring.txt names GhostService, which is no feature"
    )
    assert not found["wiring", "wiring.txt", "GhostService"]["tracked"]
    assert run.json["removed"] is None
    assert (root / "src/shop/dead.py").exists()  # a dry run by default

    table = lockgate("cleanup", root)
    assert "would git rm 3 tracked files" in " ".join(table.stdout.split())

    # --apply refuses a dirty tree …
    (root / "README.md").write_text("edited\n")
    dirty = lockgate("cleanup", "--apply", root)
    assert dirty.code == 2
    assert "tracked files have uncommitted changes" in dirty.stderr
    assert (root / "src/shop/dead.py").exists()
    git(root, "checkout", "--", "README.md")

    # … and on a clean one removes the tracked files with git rm, committing nothing
    head = git(root, "rev-parse", "HEAD")
    applied = lockgate("cleanup", "--apply", "--json", root)
    assert applied.code == 0, applied.stderr
    assert sorted(applied.json["removed"]) == [
        "docs/guides/gone-service.md",
        "src/shop/dead.py",
        "tests/test_nothing.py",
    ]
    assert git(root, "rev-parse", "HEAD") == head
    staged = git(root, "status", "--porcelain").splitlines()
    assert sorted(staged) == [
        "D  docs/guides/gone-service.md",
        "D  src/shop/dead.py",
        "D  tests/test_nothing.py",
    ]
    assert (root / "wiring.txt").read_text() == "CartService\nGhostService\n"
