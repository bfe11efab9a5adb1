"""Generators seeded from a name, in a process of their own (the patch is process-wide)."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json, os, random
from lockgate.execution.child import seeding

seeding.install()
early = random.Random()
mine = random.Random(42)
out = {}
for name in ("tests/test_a.py", "tests/test_b.py", "tests/test_a.py"):
    seeding.restart(name)
    late = random.Random()
    out.setdefault(name, []).append(
        [early.random(), late.random(), random.random(), mine.random()]
    )
random.seed(7)
pid = os.fork()
if pid == 0:
    os.write(1, json.dumps({"fork": random.random()}).encode() + b"\\n")
    os._exit(0)
os.waitpid(pid, 0)
print(json.dumps({"runs": out, "seven": random.Random(7).random()}))
"""


def test_a_file_draws_the_same_numbers_whatever_ran_before_and_a_project_seed_is_kept() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=60
    )
    fork, main = (json.loads(line) for line in done.stdout.splitlines())
    a_first, a_again = main["runs"]["tests/test_a.py"]
    (b,) = main["runs"]["tests/test_b.py"]
    # unseeded generators, made before or during the file, and the module's: the file's own
    assert a_first[:3] == a_again[:3]
    assert all(x != y for x, y in zip(a_first[:3], b[:3], strict=True))
    # Random(42) is the project's: it goes on drawing from its seed
    assert len({a_first[3], b[3], a_again[3]}) == 3
    # random.seed(7) holds across a fork (Python would seed it again from entropy)
    assert fork["fork"] == main["seven"]
