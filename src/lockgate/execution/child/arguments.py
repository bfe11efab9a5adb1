"""The arguments a wiring registry is called with: ``faker:Faker(faker.config.AVAILABLE_LOCALES)``.

A registry that loads plugins by name often needs the list of names it loads from (Faker builds
a generator for each locale it is given). Each argument is a Python literal (``"en_US"``,
``["a", "b"]``, ``3``) or a dotted name (``faker.config.AVAILABLE_LOCALES``) that the child
resolves by importing its longest importable prefix; nothing else is evaluated, so the text
in the configuration can run no code of its own. The configuration checks the form
(:func:`check`); the import child evaluates it (:func:`evaluate`), where the project's imports
are observed like every other import.
"""

from __future__ import annotations

import ast
import importlib
from typing import Any


def _parts(text: str) -> tuple[list[ast.expr], list[ast.keyword]]:
    """The argument expressions of ``(…)``; ValueError says what is wrong."""
    try:
        tree = ast.parse("f" + text, mode="eval")
    except SyntaxError:
        raise ValueError(f"{text} is not an argument list") from None
    call = tree.body
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise ValueError(f"{text} is not one argument list")
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        raise ValueError(f"{text}: *args and **kwargs are not allowed")
    for node in [*call.args, *(k.value for k in call.keywords)]:
        if _dotted(node) is None and not _literal(node):
            raise ValueError(f"{text}: {ast.unparse(node)} is neither a literal nor a dotted name")
    return call.args, call.keywords


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` as text, or None when the node is not a plain dotted name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base is not None else None
    return None


def _literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def check(text: str) -> None:
    """Raise ValueError unless ``text`` is ``(…)`` of literals and dotted names."""
    _parts(text)


def _resolve(name: str) -> Any:
    """Import the longest importable prefix of ``name``, then read the rest as attributes."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError as exc:
            prefix = ".".join(parts[:cut])
            if exc.name is None or not (prefix == exc.name or prefix.startswith(exc.name + ".")):
                raise  # the module exists and failed to import one of its own imports
            continue
        for attr in parts[cut:]:
            value = getattr(value, attr)
        return value
    raise ModuleNotFoundError(f"no module in {name!r} can be imported")


def _value(node: ast.expr) -> Any:
    dotted = _dotted(node)
    return _resolve(dotted) if dotted is not None else ast.literal_eval(node)


def evaluate(text: str) -> tuple[list[Any], dict[str, Any]]:
    """The positional and keyword arguments ``text`` stands for (imports what it names)."""
    args, keywords = _parts(text)
    return [_value(a) for a in args], {str(k.arg): _value(k.value) for k in keywords}
