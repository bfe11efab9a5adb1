"""Hashes and keys (keys/hashing.py, keys/environment.py): digest, key_of, relocation, probes."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lockgate.keys.environment import environment, relocated
from lockgate.keys.hashing import LISTING, digest, is_probe, key_of, probe_state


def test_digest_is_a_short_blake2b() -> None:
    assert digest(b"") == hashlib.blake2b(b"", digest_size=16).hexdigest()
    assert len(digest(b"x")) == 32
    assert digest(b"a") != digest(b"b")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.dictionaries(st.text(max_size=4), JSON, max_size=5))
def test_key_of_does_not_depend_on_dict_order(parts: dict[str, object]) -> None:
    assert key_of(parts) == key_of(dict(reversed(parts.items())))


def test_key_of_tells_values_and_order_of_lists_apart() -> None:
    assert key_of({"a": 1, "b": 2}) == key_of({"b": 2, "a": 1})
    assert key_of([1, 2]) != key_of([2, 1])
    assert key_of({"a": 1}) != key_of({"a": "1"})
    assert key_of([["f.py", None]]) != key_of([["f.py", digest(b"")]])  # absent is not empty


ANCHORS = [("/work/proj/.venv", "<prefix>"), ("/work/proj", "<project>"), ("/usr", "<base>")]


def test_relocated_uses_the_innermost_anchor() -> None:
    assert relocated("/work/proj/src/app.py", ANCHORS) == "<project>/src/app.py"
    assert relocated("/work/proj/.venv/lib/site.py", ANCHORS) == "<prefix>/lib/site.py"
    assert relocated("/work/proj", ANCHORS) == "<project>"
    assert relocated("/work/proj/./src/../src/app.py", ANCHORS) == "<project>/src/app.py"
    # a folder whose name only starts like an anchor is outside it: absolute, machine-specific
    assert relocated("/work/project2/app.py", ANCHORS) == "/work/project2/app.py"
    assert relocated("/opt/x", ANCHORS) == "/opt/x"


def test_relocated_is_the_same_for_two_checkouts() -> None:
    other = [("/home/me/clone/.venv", "<prefix>"), ("/home/me/clone", "<project>")]
    for tail in ("src/app.py", ".venv/lib/python3.11/site-packages"):
        assert relocated(f"/work/proj/{tail}", ANCHORS) == relocated(
            f"/home/me/clone/{tail}", other
        )


def test_probes_are_folders_and_listings() -> None:
    assert is_probe("src/")
    assert is_probe(f"src{LISTING}")
    assert is_probe(LISTING)
    assert not is_probe("src/app.py")
    assert not is_probe("src")


def test_probe_state(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "b.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("")
    assert probe_state(tmp_path, "pkg/") == "dir"
    assert probe_state(tmp_path, "gone/") is None
    assert probe_state(tmp_path, "pkg/a.py/") is None  # a file is no folder
    listing = probe_state(tmp_path, f"pkg{LISTING}")
    assert listing == digest(b"a.py\0b.py")  # names, sorted
    assert probe_state(tmp_path, f"gone{LISTING}") is None
    assert probe_state(tmp_path, LISTING) == digest(b"pkg")  # the root's own listing
    (tmp_path / "pkg" / "c.py").write_text("x")
    assert probe_state(tmp_path, f"pkg{LISTING}") != listing
    os.remove(tmp_path / "pkg" / "c.py")
    (tmp_path / "pkg" / "a.py").write_text("content is no name")
    assert probe_state(tmp_path, f"pkg{LISTING}") == listing


def test_files_run_at_interpreter_start_are_in_the_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `.pth` file no distribution lists and a `sitecustomize` on the import path run at
    every interpreter start (issue 19, class 6): editing, adding or removing one changes the
    environment fingerprint, in full and in the no-change snapshot's stamps."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])

    def both() -> tuple[dict[str, str], dict[str, str]]:
        return environment(tmp_path, []), environment(tmp_path, [], local=True)

    seen = [both()]
    (site / "extra.pth").write_text("import os\n")
    seen.append(both())
    (site / "extra.pth").write_text("import os; os.environ['X'] = '1'\n")
    seen.append(both())
    (site / "sitecustomize.py").write_text("import builtins\n")
    seen.append(both())
    (site / "sitecustomize.py").write_text("import builtins\nbuiltins.FLAG = 1\n")
    seen.append(both())
    (site / "sitecustomize.py").unlink()
    (site / "usercustomize").mkdir()
    (site / "usercustomize" / "__init__.py").write_text("X = 1\n")
    seen.append(both())
    for full in (0, 1):
        states = [repr(sorted(s[full].items())) for s in seen]
        assert len(set(states)) == len(states), full


def test_a_probe_sets_state_is_the_key_of_each_members_hash_in_order(tmp_path: Path) -> None:
    """FileHasher.state joins the members' encoded pairs: the same key as the plain
    formula, for files present, absent, folders, listings, and members asked about before."""
    from lockgate.keys.hashing import FileHasher

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("")
    (tmp_path / 'q"u\\te é.py').write_text("")  # JSON escapes: a quote, a backslash, not ASCII
    members = ["pkg/a.py", "b.py", "missing.py", "pkg/", "pkg/__init__.py", f"pkg{LISTING}"]
    members += ['q"u\\te é.py', "ü.py"]
    hasher = FileHasher(tmp_path, {})
    hasher.hash("b.py")  # one already answered
    plain = FileHasher(tmp_path, {})
    expected = key_of([[p, plain.hash(p)] for p in sorted(members)])
    assert hasher.state(members) == expected
    assert hasher.state(reversed(members)) == expected
    assert hasher.state([]) == key_of([])
    (tmp_path / "missing.py").write_text("")
    assert FileHasher(tmp_path, {}).state(members) != expected
