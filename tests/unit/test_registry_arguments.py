"""A wiring registry's arguments (execution/child/arguments.py): literals and dotted names only,
checked when the configuration loads and resolved by import in the child."""

from __future__ import annotations

import pytest

from lockgate.execution.child import arguments


@pytest.mark.parametrize(
    "text",
    [
        '("en_US",)',
        '(["a", "b"], locale="x")',
        "(faker.config.AVAILABLE_LOCALES)",
        "()",
        "(1, None)",
    ],
)
def test_literals_and_dotted_names_are_accepted(text: str) -> None:
    arguments.check(text)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("(open('x'))", "open('x') is neither a literal nor a dotted name"),
        ("(a + b)", "a + b is neither a literal nor a dotted name"),
        ("(*names)", "*args and **kwargs are not allowed"),
        ("(**kw)", "*args and **kwargs are not allowed"),
        ("(a)(b)", "is not one argument list"),
        ("(", "is not an argument list"),
        ("(x[0])", "x[0] is neither a literal nor a dotted name"),
    ],
)
def test_anything_that_would_run_code_is_refused(text: str, says: str) -> None:
    with pytest.raises(ValueError) as raised:
        arguments.check(text)
    assert says in str(raised.value)


def test_dotted_names_are_imported_and_read() -> None:
    args, kwargs = arguments.evaluate("(os.path.sep, [1, 2], name=json.decoder.JSONDecodeError)")
    import json
    import os

    assert args == [os.path.sep, [1, 2]]
    assert kwargs == {"name": json.decoder.JSONDecodeError}


def test_a_name_no_module_has_is_an_error() -> None:
    with pytest.raises(ModuleNotFoundError):
        arguments.evaluate("(nosuchmodule_lockgate.names)")
    with pytest.raises(AttributeError):
        arguments.evaluate("(os.nosuchattribute_lockgate)")
