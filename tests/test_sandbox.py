"""Tests and imports run in a sandbox: validation leaves the repository byte-identical."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from conftest import git, lockgate

VAULT = '''\
from pathlib import Path


class VaultService:
    """Reads the local secret."""

    def secret(self, root: Path) -> str:
        return (root / "secret.txt").read_text(encoding="utf-8").strip()
'''

VAULT_TEST = """\
from pathlib import Path

from dirty.vault import VaultService


def test_reads_the_ignored_secret():
    root = Path(__file__).resolve().parent.parent
    assert VaultService().secret(root) == "hunter2"
"""


def fingerprint(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file of the work tree and of .git: mode and bytes (or link target)."""
    out = {}
    for folder, dirs, files in os.walk(root):
        links = [d for d in dirs if os.path.islink(os.path.join(folder, d))]
        for name in files + links:
            path = Path(folder, name)
            body = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
            key = path.relative_to(root).as_posix()
            out[key] = (path.lstat().st_mode, hashlib.sha256(body).digest())
    return out


def test_validation_leaves_the_repository_byte_identical_and_reports_writes(
    project: Callable[[str], Path], tmp_path: Path
) -> None:
    root = project("impure")
    env = {"LOCKGATE_DIR": str(tmp_path / "store")}
    before = fingerprint(root)

    run = lockgate("align", root, "--json", env=env)
    assert run.code == 0, run.stderr
    assert fingerprint(root) == before
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "tag") == ""
    # the test passed: in the sandbox it could write, and git tag found a repository
    assert run.layer("ReportService", "tested")["passed"], run.layer("ReportService", "tested")
    writes = {(w["path"], w["change"]): w["tests"] for w in run.json["summary"]["writes"]}
    test = ["tests/test_report.py"]
    assert writes == {
        ("report.txt", "created"): test,
        ("data/notes.txt", "modified"): test,
        ("data/linked.txt", "replaced by a symlink"): test,
        ("refs/tags/made-by-a-test", "created"): test,
    }
    warning = next(line for line in run.stderr.splitlines() if "data/notes.txt" in line)
    assert warning.startswith("lockgate: warning: ") and "tests/test_report.py" in warning
    # the sandbox's own folder never shows
    assert "lockgate-run-" not in run.stdout + run.stderr

    deployed = lockgate("deploy", root, "--dry-run", "--json", env=env)
    assert deployed.code == 0, deployed.stderr
    assert fingerprint(root) == before

    # a test that reads a file git ignores fails: that file never ships
    (root / "src" / "dirty" / "vault.py").write_text(VAULT, encoding="utf-8")
    (root / "tests" / "test_vault.py").write_text(VAULT_TEST, encoding="utf-8")
    (root / "secret.txt").write_text("hunter2\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "vault")
    assert "secret.txt" not in git(root, "ls-files")
    run = lockgate("align", root, "--json", env=env)
    vault = run.layer("VaultService", "tested")
    assert not vault["passed"], vault
    # said, and not stored: which files git ignores is in no key
    said = next(line for line in run.stderr.splitlines() if "secret.txt" in line)
    assert "VaultService" in said and "not stored" in said
    assert run.layer("ReportService", "tested")["cached"]
    assert run.json["summary"]["writes"] == []
    assert "lockgate-run-" not in run.stdout + run.stderr
    again = lockgate("align", root, "--json", env=env)
    assert not again.layer("VaultService", "tested")["cached"]
    assert fingerprint(root) == {**before, **fingerprint(root)} and git(root, "tag") == ""
