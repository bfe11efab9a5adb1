"""What one file says (project/facts.py), and the import graph over files (project/graph.py)."""

from __future__ import annotations

import json

from lockgate.project.facts import ClassFacts, FileFacts, read_facts
from lockgate.project.graph import ImportGraph

SOURCE = b'''\
"""Shapes."""

import abc
import os.path
from typing import Protocol

from .base import Base, helper
from .. import sibling


class Drawable(Protocol):
    def draw(self) -> None: ...


class Shape(abc.ABC):
    """A shape."""

    @abc.abstractmethod
    def area(self) -> float: ...

    def name(self) -> str:
        return type(self).__name__


class Square(Shape, Base):
    def area(self) -> float:
        import math

        return math.sqrt(4) * helper.factor


def free() -> None:
    class Local:
        pass
'''


def test_imports_anywhere_in_the_file_count() -> None:
    facts = read_facts(SOURCE)
    assert facts.error is None
    assert facts.imports == (
        ("abc", 0, ()),
        ("os.path", 0, ()),
        ("typing", 0, ("Protocol",)),
        ("base", 1, ("Base", "helper")),
        ("", 2, ("sibling",)),
        ("math", 0, ()),  # in a method body
    )


def test_top_level_classes_with_bases_methods_and_abstractness() -> None:
    drawable, shape, square = read_facts(SOURCE).classes
    assert drawable == ClassFacts("Drawable", 11, True, "", ("Protocol",), ("draw",), ())
    assert shape == ClassFacts(
        "Shape", 15, True, "A shape.", ("abc.ABC",), ("area", "name"), ("area",)
    )
    # it overrides the abstract method: itself concrete
    assert square == ClassFacts("Square", 25, False, "", ("Shape", "Base"), ("area",), ())


def test_referenced_names_include_attributes_and_imported_names() -> None:
    names = read_facts(SOURCE).names
    assert {"helper", "factor", "sqrt", "Base", "sibling", "__name__"} <= names
    assert "Local" not in names  # a class statement defines, it does not reference


def test_a_file_that_does_not_parse_is_an_error_not_an_exception() -> None:
    facts = read_facts(b"def broken(:\n")
    assert facts.error is not None and facts.error.startswith("SyntaxError: ")
    assert (facts.imports, facts.classes, facts.names, facts.outline) == ((), (), frozenset(), None)
    assert read_facts(b"x = 1\0\n").error is not None  # a NUL byte: ValueError or SyntaxError


def test_facts_survive_json() -> None:
    facts = read_facts(SOURCE)
    assert facts.outline is not None
    assert FileFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts
    broken = read_facts(b"(")
    assert FileFacts.from_json(json.loads(json.dumps(broken.to_json()))) == broken


# A small project: module name → (path, source).
PROJECT = {
    "app": ("src/app/__init__.py", b""),
    "app.main": ("src/app/main.py", b"from app import models\nfrom .util import tidy\n"),
    "app.models": ("src/app/models.py", b"import app.db.engine\n"),
    "app.util": ("src/app/util.py", b"import os\n\ndef tidy():\n    from . import models\n"),
    "app.db": ("src/app/db/__init__.py", b"from .engine import connect\n"),
    "app.db.engine": ("src/app/db/engine.py", b"from ..util import tidy\n"),
    "app.lone": ("src/app/lone.py", b"import json\n"),
}


def graph() -> ImportGraph:
    """The import graph of :data:`PROJECT`."""
    modules = {name: path for name, (path, _) in PROJECT.items()}
    module_of = {path: name for name, path in modules.items()}
    facts = {path: read_facts(source) for path, source in PROJECT.values()}
    return ImportGraph(modules, module_of, facts)


def test_relative_imports_resolve_from_the_file_or_its_package() -> None:
    found = graph()
    assert found.absolute("src/app/main.py", "util", 1) == "app.util"
    assert found.absolute("src/app/db/__init__.py", "engine", 1) == "app.db.engine"
    assert found.absolute("src/app/db/engine.py", "util", 2) == "app.util"
    assert found.absolute("src/app/db/engine.py", "", 1) == "app.db"
    assert found.absolute("src/app/main.py", "os.path", 0) == "os.path"


def test_direct_imports_are_project_files_with_packages_on_the_way() -> None:
    found = graph()
    # ``from app import models``: the package and the submodule it names
    assert found.imports_of("src/app/main.py") == {
        "src/app/__init__.py",
        "src/app/models.py",
        "src/app/util.py",
    }
    assert found.imports_of("src/app/models.py") == {
        "src/app/__init__.py",
        "src/app/db/__init__.py",
        "src/app/db/engine.py",
    }
    # a function-level import counts; the standard library is not a project file
    assert found.imports_of("src/app/util.py") == {"src/app/__init__.py", "src/app/models.py"}
    assert found.imports_of("src/app/lone.py") == frozenset()
    assert found.imports_of("not/a/project/file.py") == frozenset()


def test_closure_follows_imports_and_includes_parent_packages() -> None:
    found = graph()
    everything = {path for path, _ in PROJECT.values()} - {"src/app/lone.py"}
    assert found.closure("src/app/main.py") == everything
    assert found.closure("src/app/lone.py") == {"src/app/lone.py", "src/app/__init__.py"}
    assert found.closure_of_all(["src/app/lone.py", "src/app/db/engine.py"]) == (
        everything - {"src/app/main.py"} | {"src/app/lone.py"}
    )
    assert found.closure_of_all([]) == frozenset()


GUARDED = b"""\
from __future__ import annotations
import os, json.decoder
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    import hidden_for_types
else:
    import shown_else
try:
    import optional_one
except ImportError:
    import fallback
else:
    import after_try
try:
    import required_here
except ValueError:
    pass


def late() -> None:
    from .sibling import a, b
    handler = lambda: __import__("not_a_statement")
    match handler:
        case _:
            from .. import up
"""


def test_unguarded_imports_leave_out_what_the_code_guards() -> None:
    """Imports under ``if TYPE_CHECKING`` and in a ``try`` that catches ImportError are left
    out, ``__future__`` too; an import in a function, an ``else``, a handler or a match case
    counts, with its line (a guarded ``try``'s ``else`` before its handlers)."""
    facts = read_facts(GUARDED)
    assert facts.unguarded == (
        (2, "os", 0, None),
        (2, "json.decoder", 0, None),
        (3, "typing", 0, ("TYPE_CHECKING",)),
        (7, "shown_else", 0, None),
        (13, "after_try", 0, None),
        (11, "fallback", 0, None),
        (15, "required_here", 0, None),
        (21, "sibling", 1, ("a", "b")),
        (25, "", 2, ("up",)),
    )
    assert FileFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts
    assert read_facts(b"def broken(:\n").unguarded == ()
