"""The file a call named, as the kernel finds it (issue 19, class 4)."""

from __future__ import annotations

import os
from pathlib import Path

from lockgate.execution.child.naming import LINK, database_path, named


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
