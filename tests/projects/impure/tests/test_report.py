import os
import subprocess
from pathlib import Path

from dirty.report import ReportService

ROOT = Path(__file__).resolve().parent.parent


def test_writes_into_the_repository(tmp_path):
    # a write under tmp_path is fine and not reported
    (tmp_path / "scratch.txt").write_text("mine", encoding="utf-8")
    assert ReportService().write(ROOT).read_text(encoding="utf-8") == "made by a test\n"
    with open(ROOT / "data" / "notes.txt", "w", encoding="utf-8") as notes:
        notes.write("overwritten in place\n")
    os.remove(ROOT / "data" / "linked.txt")
    os.symlink("notes.txt", ROOT / "data" / "linked.txt")
    subprocess.run(["git", "tag", "made-by-a-test"], cwd=ROOT, check=True)
