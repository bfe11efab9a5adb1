"""Why a layer re-ran: the inputs that differ from the last result stored for it.

Computed at run time for every layer that was not reused (and recorded with the run for
``why --last``), and by ``why`` for what a run would do now: both compare the inputs a key is
made of with the inputs stored beside the last result of the same feature and layer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Changes named in a one-line summary; the rest are counted.
SHOWN = 3


@dataclass
class Change:
    """One input that differs from the stored result's."""

    kind: str  # "file changed" | "file added" | "file removed" | "environment" | ...
    item: str
    detail: str = ""


@dataclass
class Reason:
    """Why one layer re-ran (or would): a sentence and the inputs that differ."""

    text: str
    changes: list[Change] = field(default_factory=list)

    def summary(self) -> str:
        """One line: the sentence and the first changes."""
        if not self.changes:
            return self.text
        named = "; ".join(
            f"{c.kind} {c.item}" + (f" ({c.detail})" if c.detail else "")
            for c in self.changes[:SHOWN]
        )
        more = len(self.changes) - SHOWN
        return f"{self.text}: {named}" + (f" (+{more} more)" if more > 0 else "")

    def to_json(self) -> dict[str, Any]:
        """The record kept with the run."""
        return {"text": self.text, "changes": [[c.kind, c.item, c.detail] for c in self.changes]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reason:
        """A reason read back from a run's record."""
        return cls(str(data["text"]), [Change(*map(str, c)) for c in data["changes"]])


NO_STORE = Reason("--no-cache: the store is neither read nor written")
CLEARED = Reason("--clear-cache emptied the store first")
RETRY = Reason("the stored result failed and --retry-failed is set")
RECHECKED = Reason(
    "re-checked a stored failure before it blocks: a deploy runs every stored failure a gate "
    "would block on once more"
)


def file_change(path: str, before: str | None, after: str | None) -> Change:
    """How one file differs: added, removed or changed."""
    if before is None:
        return Change("file added", path)
    if after is None:
        return Change("file removed", path)
    return Change("file changed", path)


def file_changes(old: dict[str, str | None], new: dict[str, str | None]) -> list[Change]:
    """Every file whose hash (or presence) differs between two input sets, sorted by path."""
    return [
        file_change(path, old.get(path), new.get(path))
        for path in sorted(old.keys() | new.keys())
        if old.get(path) != new.get(path)
    ]


def config_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every configuration item of a key whose value differs."""
    return [
        Change("configuration", key, f"{old.get(key)!r} → {new.get(key)!r}")
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    ]


def env_changes(old: dict[str, str], new: dict[str, str]) -> list[Change]:
    """Every item of the environment fingerprint that differs."""
    return [
        Change("environment", key, f"{old.get(key, '<absent>')} → {new.get(key, '<absent>')}")
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    ]


def expired(created: float, ttl: float) -> Reason:
    """A time-limited result past its validity."""
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created))
    return Reason(f"expired: measured {when}, valid for {ttl:g}s (performance.ttl)")


def expired_load_dependent(created: float, after: float) -> Reason:
    """A load-dependent failure older than ``retry_load_dependent_after``."""
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created))
    return Reason(
        f"a load-dependent failure from {when}, run again after {after:g}s "
        "(retry_load_dependent_after)"
    )


def extras_moved(changes: list[Change]) -> Reason:
    """A result whose key matched but whose files observed at run time differ."""
    return Reason("a file read or looked up at run time changed", changes)


@dataclass(frozen=True)
class Now:
    """The inputs of one key as this run sees them."""

    files: dict[str, str | None]
    config: dict[str, Any]
    env_digest: str
    env_items: dict[str, str]
    versions: list[Any]  # [layer version, lockgate version]


def compared(
    old: dict[str, Any] | None,
    now: Now,
    stored_env: Callable[[str], dict[str, str]],
    unstored: str | None = None,
) -> Reason:
    """Why a key has no stored result: what differs from the last result stored for the same
    feature and layer (``old``, its inputs; None when there is none). ``unstored`` says why the
    previous run did not store its result, when it did not."""
    if old is None:
        if unstored is not None:
            return Reason(f"the last run did not store its result: {unstored}")
        return Reason("no earlier result for this feature and layer")
    changes = file_changes(old["files"], now.files)
    changes += config_changes(old["config"], now.config)
    if old["env"] != now.env_digest:
        changes += env_changes(stored_env(old["env"]), now.env_items) or [
            Change("environment", "fingerprint", "changed")
        ]
    before = old.get("versions")
    if before is not None and before != now.versions:
        for name, was, is_now in zip(
            ("layer version", "lockgate"), before, now.versions, strict=True
        ):
            if was != is_now:
                changes.append(Change("version", name, f"{was} → {is_now}"))
    if unstored is not None:
        return Reason(f"the last run did not store its result: {unstored}", changes)
    if changes:
        return Reason("inputs differ from the last stored result", changes)
    if before is None:  # stored by a lockgate that did not record versions
        return Reason("layer or lockgate version changed")
    return Reason("the key differs from the last stored result's, in no recorded input")
