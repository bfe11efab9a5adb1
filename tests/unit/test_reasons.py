"""Why a layer re-ran (why/reasons.py): the changes between stored and current inputs."""

from __future__ import annotations

from typing import Any

from lockgate.why.reasons import (
    Change,
    Now,
    Reason,
    compared,
    config_changes,
    env_changes,
    expired,
    expired_load_dependent,
    file_changes,
)


def test_file_changes_sorted_by_path() -> None:
    old: dict[str, str | None] = {
        "b.py": "1",
        "a.py": "1",
        "gone.py": "1",
        "same.py": "1",
        "was_absent.py": None,
    }
    new: dict[str, str | None] = {
        "b.py": "2",
        "a.py": "1",
        "new.py": "1",
        "same.py": "1",
        "was_absent.py": "1",
    }
    assert file_changes(old, new) == [
        Change("file changed", "b.py"),
        Change("file removed", "gone.py"),
        Change("file added", "new.py"),
        Change("file added", "was_absent.py"),  # a null hash is an absent file
    ]
    assert file_changes({"a": None}, {}) == []  # absent either way


def test_config_and_environment_changes_show_before_and_after() -> None:
    assert config_changes({"timeout": 30, "src": ["src"]}, {"timeout": 60, "src": ["src"]}) == [
        Change("configuration", "timeout", "30 → 60")
    ]
    assert config_changes({}, {"docs": "x"}) == [Change("configuration", "docs", "None → 'x'")]
    assert env_changes({"python": "3.11", "env:A": "1"}, {"python": "3.12"}) == [
        Change("environment", "env:A", "1 → <absent>"),
        Change("environment", "python", "3.11 → 3.12"),
    ]


def test_summary_names_three_changes_and_counts_the_rest() -> None:
    changes = [Change("file changed", f"f{i}.py") for i in range(5)]
    changes[0].detail = "blocks"
    assert Reason("inputs differ", changes).summary() == (
        "inputs differ: file changed f0.py (blocks); file changed f1.py; file changed f2.py"
        " (+2 more)"
    )
    assert Reason("inputs differ", changes[:3]).summary() == (
        "inputs differ: file changed f0.py (blocks); file changed f1.py; file changed f2.py"
    )
    assert Reason("no earlier result").summary() == "no earlier result"


def test_reason_round_trip() -> None:
    reason = Reason("why", [Change("environment", "python", "a → b"), Change("file added", "x")])
    assert Reason.from_json(reason.to_json()) == reason


def test_expiry_sentences() -> None:
    assert expired(0, 3600).text == (
        "expired: measured 1970-01-01T00:00:00Z, valid for 3600s (performance.ttl)"
    )
    assert expired_load_dependent(86400, 1.5).text == (
        "a load-dependent failure from 1970-01-02T00:00:00Z, run again after 1.5s "
        "(retry_load_dependent_after)"
    )


NOW = Now(
    files={"a.py": "2", "b.py": "1"},
    config={"timeout": 30},
    env_digest="E2",
    env_items={"python": "3.12"},
    versions=[3, "0.1.0"],
)


def stored(**changes: Any) -> dict[str, Any]:
    """The inputs stored with the last result: as :data:`NOW` unless ``changes`` say."""
    old: dict[str, Any] = {
        "files": dict(NOW.files),
        "config": dict(NOW.config),
        "env": NOW.env_digest,
        "versions": list(NOW.versions),
    }
    return old | changes


def no_env(digest: str) -> dict[str, str]:
    """The stored environment items: never asked when the digests are equal."""
    raise AssertionError(f"environment {digest} asked for")


def test_compared_without_an_earlier_result() -> None:
    assert compared(None, NOW, no_env).text == "no earlier result for this feature and layer"
    assert compared(None, NOW, no_env, unstored="a test read an unshipped file").text == (
        "the last run did not store its result: a test read an unshipped file"
    )


def test_compared_lists_files_configuration_environment_and_versions() -> None:
    envs = {"E1": {"python": "3.11"}}
    old = stored(
        files={"a.py": "1", "b.py": "1"}, config={"timeout": 10}, env="E1", versions=[2, "0.1.0"]
    )
    reason = compared(old, NOW, envs.__getitem__)
    assert reason.text == "inputs differ from the last stored result"
    assert reason.changes == [
        Change("file changed", "a.py"),
        Change("configuration", "timeout", "10 → 30"),
        Change("environment", "python", "3.11 → 3.12"),
        Change("version", "layer version", "2 → 3"),
    ]


def test_compared_when_the_environment_items_are_equal_but_the_digest_is_not() -> None:
    reason = compared(stored(env="E0"), NOW, lambda digest: dict(NOW.env_items))
    assert reason.changes == [Change("environment", "fingerprint", "changed")]


def test_compared_with_nothing_recorded_that_differs() -> None:
    assert compared(stored(), NOW, no_env).text == (
        "the key differs from the last stored result's, in no recorded input"
    )
    old = stored()
    del old["versions"]  # stored by a lockgate that did not record versions
    assert compared(old, NOW, no_env).text == "layer or lockgate version changed"
    unstored = compared(stored(files={"a.py": "1", "b.py": "1"}), NOW, no_env, unstored="moved")
    assert unstored.text == "the last run did not store its result: moved"
    assert unstored.changes == [Change("file changed", "a.py")]
