"""The file a call named, as the kernel finds it (issue 19, class 4)."""

from __future__ import annotations

import os
from pathlib import Path

from lockgate.execution.child.inputs import Paths
from lockgate.execution.child.naming import ABOVE, LINK, database_path, named
from lockgate.keys.hashing import is_probe, probe_state


def test_a_dotdot_after_a_link_is_resolved_as_the_kernel_does(tmp_path: Path) -> None:
    (tmp_path / "data" / "deep").mkdir(parents=True)
    (tmp_path / "linked").symlink_to("data/deep")
    path, links = named(f"{tmp_path}/linked/../x.txt", None) or ("", [])
    assert path == str(tmp_path.resolve() / "data" / "x.txt")
    assert links == [str(tmp_path.resolve() / "linked") + LINK]  # re-pointing it re-runs


def test_a_plain_path_is_normalised_lexically(tmp_path: Path) -> None:
    assert named(tmp_path / "a" / "." / "b.txt", None) == (str(tmp_path / "a" / "b.txt"), [])


def test_a_name_relative_to_a_folder_descriptor(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    fd = os.open(tmp_path / "data", os.O_RDONLY)
    try:
        assert named("value.txt", fd) == (str(tmp_path.resolve() / "data" / "value.txt"), [])
    finally:
        os.close(fd)


def test_the_file_a_database_connection_names() -> None:
    assert database_path("/srv/app.db") == "/srv/app.db"
    assert database_path("file:/srv/my%20app.db?mode=ro") == "/srv/my app.db"
    assert database_path(Path("rel.db")) == "rel.db"
    assert database_path(":memory:") is None
    assert database_path("file:coverage-1?mode=memory&cache=shared") is None
    assert database_path("") is None


def test_a_configuration_file_above_the_root_is_named_by_where_it_lies_from_the_root(
    tmp_path: Path,
) -> None:
    root = tmp_path / "team" / "proj"
    paths = Paths(str(root), [])
    assert paths.key(str(tmp_path / "team" / "pytest.ini")) == "pytest.ini" + ABOVE
    assert paths.key(str(tmp_path / "tox.ini")) == "tox.ini" + ABOVE
    # not a configuration file, or not in a folder above: its own path
    assert paths.key(str(tmp_path / "team" / "data.txt")) == str(tmp_path / "team" / "data.txt")
    other = tmp_path / "team" / "other" / "pytest.ini"
    assert paths.key(str(other)) == str(other)


def test_the_configuration_above_is_the_same_state_wherever_the_root_lies(tmp_path: Path) -> None:
    one, two = tmp_path / "a" / "proj", tmp_path / "b" / "deeper" / "proj"
    one.mkdir(parents=True)
    two.mkdir(parents=True)
    probe = "pytest.ini" + ABOVE
    assert is_probe(probe)
    (tmp_path / "a" / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "b" / "deeper" / "pytest.ini").write_text("[pytest]\n")
    assert probe_state(one, probe) == probe_state(two, probe) is not None
    (tmp_path / "b" / "pytest.ini").write_text("[pytest]\naddopts = -x\n")  # two levels up
    assert probe_state(one, probe) != probe_state(two, probe)
    (tmp_path / "b" / "pytest.ini").unlink()
    (tmp_path / "b" / "deeper" / "pytest.ini").unlink()
    assert probe_state(two, probe) is None
