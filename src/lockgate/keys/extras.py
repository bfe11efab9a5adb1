"""Extras: what a run observed beyond its static inputs, stored beside its result.

A result is reused only while its extras still hold: every file the run read or imported has
the same content, every folder it listed the same names, every set of files whose creation
would change how a module is found the same state and, with block keys, every function body
the run executed the same code (see :mod:`lockgate.keys.reuse`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from lockgate.execution.sandbox import Sandbox
from lockgate.keys.executed import Execution
from lockgate.keys.hashing import LISTING, digest
from lockgate.keys.plan import Planned
from lockgate.layers.base import Context

# An extras entry "\0set:<name>" stands for the probe set stored as fact "probes/<name>".
PROBE_SET = "\0set:"
SET_FACTS = "probes/"
# An extras entry "<file>\0blocks:<name>" holds the block fingerprint of <file> over the
# function bodies listed in fact "blocks/<name>" (see lockgate.project.blocks).
BLOCKS = "\0blocks:"
BLOCK_FACTS = "blocks/"


@dataclass(frozen=True)
class Observed:
    """What a child process saw while producing one result (see :mod:`~.child.observe`)."""

    files: list[str]
    lists: list[str]
    probes: list[list[str]]


def extra_file(name: str) -> str | None:
    """The file an extras entry stands for, or None for a probe set."""
    if name.startswith(PROBE_SET):
        return None
    return name.partition(BLOCKS)[0]


def fact_names(extras: dict[str, str | None]) -> list[str]:
    """The facts a result with these extras needs to be checked: its probe sets and block
    lists (a copy of the result without them, in another store, could not be reused)."""
    out = []
    for name in extras:
        if name.startswith(PROBE_SET):
            out.append(f"{SET_FACTS}{name[len(PROBE_SET) :]}")
        elif BLOCKS in name:
            out.append(f"{BLOCK_FACTS}{name.partition(BLOCKS)[2]}")
    return out


class Extras:
    """Turns what runs observed into extras, and keeps the facts those extras name."""

    def __init__(self, ctx: Context, sandbox: Sandbox) -> None:
        self.ctx = ctx
        self.sandbox = sandbox
        self.probe_sets: dict[str, list[str]] = {}  # probe sets new results refer to
        self.block_sets: dict[str, list[str]] = {}  # block name lists new results refer to
        self._states: dict[str, str] = {}  # probe set → its state this run
        self.warnings: list[str] = []  # for the user, beside the store's
        # results keyed on whole files, by cause: (the place of its warning, the results)
        self._whole: dict[str, tuple[int, list[str]]] = {}

    def of(self, seen: Observed, static: frozenset[str]) -> dict[str, str | None]:
        """What a run observed beyond its static inputs: every file it read or imported, the
        listing of every folder it listed, and one entry per set of files whose creation would
        change how a module is found (stored once, by content, among the facts)."""
        hasher = self.ctx.hasher
        out: dict[str, str | None] = {
            p: hasher.hash(p) for p in sorted(set(seen.files)) if p not in static
        }
        out.update((f"{d}{LISTING}", hasher.hash(f"{d}{LISTING}")) for d in sorted(seen.lists))
        for members in seen.probes:
            name = digest(json.dumps(members).encode())
            self.probe_sets.setdefault(name, members)
            out[f"{PROBE_SET}{name}"] = self.set_state(f"{PROBE_SET}{name}", members)
        return out

    def of_blocks(
        self, seen: Observed, item: Planned, tests: list[str], execution: Execution
    ) -> dict[str, str | None]:
        """Extras of a block-keyed result: each file keyed on its module-level code and every
        file the run loaded beyond the static inputs, as the block fingerprint over the bodies
        the run executed where the run shows them (see :class:`Execution`), else whole. A keyed
        file of which the run executed no body needs none: the key holds all it ran."""
        assert item.whole is not None
        hasher, facts = self.ctx.hasher, self.ctx.facts
        static = item.inputs.files
        # files keyed on their module-level code; the others are keyed whole already
        outlined = {p for p in static - item.whole if (f := facts.get(p)) is not None and f.outline}
        files = outlined | {p for p in seen.files if p not in static}
        out: dict[str, str | None] = {}
        for path in sorted(files):
            outline = execution.outline(path, tests)
            if outline is None:
                out[path] = hasher.hash(path)
                continue
            names = sorted(execution.executed(path, tests, outline))
            if not names and path in outlined:
                continue  # its module-level checksum, all the run executed of it, is in the key
            name = digest(json.dumps(names).encode())
            self.block_sets.setdefault(name, names)
            out[f"{path}{BLOCKS}{name}"] = outline.fingerprint(names)
        out.update(self.of(Observed([], seen.lists, seen.probes), static))
        return out

    def set_state(self, name: str, members: list[str]) -> str:
        """The state of probe set ``name`` (its members present or absent) this run."""
        found = self._states.get(name)
        if found is None:
            found = self._states[name] = self.ctx.hasher.state(members)
        return found

    def hidden(self, item: Planned, files: list[str]) -> list[str]:
        """Files the run looked for that the work tree has and its sandbox lacks (ignored by
        git, named by no key): the verdict depends on which files git ignores, which no key
        holds, so it is reported and never stored."""
        root = self.ctx.project.root
        made = {w.path for w in self.sandbox.writes}  # what a test wrote, it may read
        found = sorted(
            {
                p
                for p in files
                if p[:1] != "/"
                and p not in made
                and not self.sandbox.holds(p)
                and os.path.lexists(root / p)
            }
        )
        if found:
            self.warnings.append(
                f"{item.owner} ({item.layer}): its run looked for {', '.join(found)}, which git "
                "ignores and so never ships: its sandbox does not hold it; the result is not stored"
            )
        return found

    def native(self, item: Planned, files: list[str]) -> str | None:
        """Why a result whose run loaded native code among its inputs (``files``: a project
        extension module, a library loaded with ctypes, a SQLite extension) is not stored:
        C code opens files with no audit event, so no key can hold what it read. None when
        there is none."""
        if not files:
            return None
        why = (
            f"its run loaded native code of the project ({', '.join(files)}), whose file "
            "reads no event shows: it runs every time"
        )
        self.warnings.append(f"{item.owner} ({item.layer}): {why}; the result is not stored")
        return why

    def bypassed(self, item: Planned, calls: list[str]) -> None:
        """Say that a block-keyed result is keyed on whole files because code ran where
        coverage's tracer could not see it (``calls``: how): one warning per cause, naming
        the results it holds for (a conftest that starts a process reaches every one)."""
        for cause in calls:
            where, owners = self._whole.setdefault(cause, (len(self.warnings), []))
            owners.append(f"{item.owner} ({item.layer})")
            said = f"{owners[0]}: keyed on whole files, not on the function bodies it ran"
            if len(owners) > 1:
                more = f" and {len(owners) - 3} more" if len(owners) > 3 else ""
                said = (
                    f"{len(owners)} results ({', '.join(owners[:3])}{more}): keyed on whole "
                    "files, not on the function bodies they ran"
                )
            said += f": code ran where coverage's tracer could not see it ({cause})"
            if where == len(self.warnings):
                self.warnings.append(said)
            else:
                self.warnings[where] = said

    def fact(self, name: str) -> str:
        """A fact a new result refers to, as stored."""
        if name.startswith(SET_FACTS):
            return json.dumps(self.probe_sets[name[len(SET_FACTS) :]])
        return json.dumps(self.block_sets[name[len(BLOCK_FACTS) :]])

    def new_facts(self) -> dict[str, str]:
        """The probe sets and block lists this run's results refer to, stored by content."""
        found = {f"{SET_FACTS}{n}": json.dumps(m) for n, m in self.probe_sets.items()}
        found.update((f"{BLOCK_FACTS}{n}", json.dumps(m)) for n, m in self.block_sets.items())
        return found
