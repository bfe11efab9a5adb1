"""Randomness seeded by the tree (issue 18): a test that draws from an unseeded generator
covers the same lines in every run, so its feature's verdict and details are a function of the
tree, not of the machine's entropy; a seed the project sets itself is kept."""

from __future__ import annotations

from pathlib import Path

from conftest import Run, copy_project, lockgate

# 20 lines, each run or not by one draw: two runs that draw from the machine's entropy cover
# the same lines once in about a million
BRANCHES = "\n".join(
    f"        if _RNG.random() < 0.5:\n            hits += {n}" for n in range(1, 21)
)
LUCKY = f'''

_RNG = random.Random()


class LuckService:
    """Draws from a generator nobody seeded, and from the random module's own."""

    def draw(self) -> int:
        """How lucky this call was."""
        hits = 0
{BRANCHES}
        if random.random() < 0.5:
            hits -= 1
        return hits
'''
TESTS = """
import random

from shop.features.cart import LuckService


def test_the_project_seed_is_kept():
    # tests/conftest.py seeded the random module: its first draw is seed 7's
    assert random.random() == random.Random(7).random()


def test_draw():
    assert LuckService().draw() <= 210
"""


def verdict(run: Run) -> tuple[bool, str]:
    assert run.code in (0, 1), run.stderr
    layer = run.layer("LuckService", "tested")
    return layer["passed"], layer["detail"]


def test_a_test_drawing_unseeded_random_numbers_covers_the_same_lines_every_run(
    tmp_path: Path,
) -> None:
    root = copy_project("basic", tmp_path / "shop")
    cart = root / "src/shop/features/cart.py"
    cart.write_text("import random\n" + cart.read_text() + LUCKY)
    (root / "tests/test_luck_service.py").write_text(TESTS)
    (root / "tests/conftest.py").write_text("import random\n\nrandom.seed(7)\n")
    (root / "docs/guides/luck-service.md").write_text("Draws numbers. " * 20)
    first = verdict(lockgate("align", root, "--json", "--no-cache"))
    assert first[0] is False or "%" in first[1], first
    assert "test_the_project_seed_is_kept" not in first[1], first
    assert verdict(lockgate("align", root, "--json", "--no-cache")) == first
    # one test file runs alone, not in a chunk with the others: the same draws
    (root / "tests/test_luck_service.py").write_text(TESTS + "\n# edited\n")
    assert verdict(lockgate("align", root, "--json")) == first


HASHED = "\n".join(
    f'        if hash("lockgate-{n}") % 2:\n            hits += {n}' for n in range(1, 21)
)


def test_a_test_whose_lines_depend_on_str_hashes_covers_the_same_lines_every_run(
    tmp_path: Path,
) -> None:
    # the order of a set of strings follows their hashes, which Python seeds per process
    root = copy_project("basic", tmp_path / "shop")
    cart = root / "src/shop/features/cart.py"
    cart.write_text(
        cart.read_text()
        + f'''

class HashService:
    """Runs what the hashes of twenty strings say."""

    def draw(self) -> int:
        """How many of them hash odd."""
        hits = 0
{HASHED}
        return hits
'''
    )
    (root / "tests/test_hash_service.py").write_text(
        "from shop.features.cart import HashService\n\n\n"
        "def test_draw():\n    assert HashService().draw() >= 0\n"
    )
    (root / "docs/guides/hash-service.md").write_text("Hashes strings. " * 20)
    env = {"PYTHONHASHSEED": ""}  # unset, as on most machines (empty means random)

    def detail(run: Run) -> str:
        assert run.code in (0, 1), run.stderr
        return str(run.layer("HashService", "tested")["detail"])

    first = detail(lockgate("align", root, "--json", "--no-cache", env=env))
    assert "%" in first
    assert detail(lockgate("align", root, "--json", "--no-cache", env=env)) == first
