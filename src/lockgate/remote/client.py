"""One run's use of the remote: batched reads and writes that never fail or block the run."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from lockgate.remote import parsed, shared, tree
from lockgate.remote.backend import Backend, open_backend
from lockgate.remote.entry import Entry, seal, unseal
from lockgate.remote.errors import RemoteError, WriteRefused
from lockgate.remote.settings import Settings
from lockgate.remote.trust import scoped_name
from lockgate.store.store import variant_of

T = TypeVar("T")


class Remote:
    """Reads and writes entries; every problem becomes one warning and a count, never an error.

    After one failed call the remote is not tried again this run: a server that is down
    costs one timeout, not one per batch.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.errors = 0  # entries refused plus calls that failed
        self._refused = 0  # entries that failed verification, and the line that says so
        self._said = ""
        self.warnings: list[str] = []
        self._backend: Backend | None = None
        self._down = False
        self._shared: dict[str, str] = {}  # facts stored apart, read and verified this run

    def _open(self) -> Backend:
        if self._backend is None:
            self._backend = open_backend(self.settings)
        return self._backend

    def fetch(self, keys: Sequence[str]) -> dict[str, list[Entry]]:
        """The verified entries for ``keys``, each key's newest first (one per variant):
        from this run's scope, then from each trusted scope for the keys still missing.
        Entries that fail verification are counted. Each comes with all its facts: those
        stored apart are read in one more batch (once a run each); an entry whose facts
        cannot all be read is left out (it runs again)."""
        trust = self.settings.trust
        found = self._read(keys, lambda scope, key, data: unseal(trust, scope, key, data))
        wanted = {n for entries in found.values() for e in entries for n in e.refs}
        self._read_shared(wanted - self._shared.keys())
        out: dict[str, list[Entry]] = {}
        for key, entries in found.items():
            whole = [
                Entry(e.result, {**e.facts, **{n: self._shared[n] for n in e.refs}})
                for e in entries
                if all(n in self._shared for n in e.refs)
            ]
            if whole:
                out[key] = whole
        return out

    def _read_shared(self, facts: set[str]) -> None:
        """Read the facts stored apart named ``facts`` (see lockgate.remote.shared)."""
        if not facts:
            return
        names = {shared.name_of(f): f for f in facts}
        trust = self.settings.trust
        found = self._read(
            sorted(names),
            lambda scope, name, data: shared.unseal(trust, scope, names[name], data),
        )
        self._shared.update((names[name], texts[0]) for name, texts in found.items())

    def fetch_facts(self, digests: Iterable[str]) -> dict[str, str]:
        """The verified parse facts (JSON text) of the files whose content hashes (with the
        facts' version) are ``digests``, in one batch per scope read; see
        lockgate.remote.parsed. Entries that fail verification are counted."""
        names = {parsed.name_of(d): d for d in digests}
        trust = self.settings.trust
        found = self._read(
            list(names), lambda scope, name, data: parsed.unseal(trust, scope, name, data)
        )
        return {names[name]: texts[0] for name, texts in found.items()}

    def fetch_tree(self, key: str) -> dict[str, Any] | None:
        """The verified record of the tree whose key is ``key`` (lockgate.remote.tree), from
        this run's scope or a trusted one; None when there is none."""
        name = tree.name_of(key)
        trust = self.settings.trust
        found = self._read([name], lambda scope, n, data: tree.unseal(trust, scope, n, data))
        return found[name][0] if name in found else None

    def publish_tree(self, key: str, record: dict[str, Any]) -> int:
        """Write the record of the tree whose key is ``key``; return how many were written."""
        trust = self.settings.trust
        return self._write(
            {(tree.name_of(key), tree.VARIANT): record},
            lambda scope, item, name: tree.seal(trust, scope, name, item),
        )

    def _read(
        self, keys: Sequence[str], opened: Callable[[str | None, str, bytes], T | None]
    ) -> dict[str, list[T]]:
        """What ``opened`` (scope, key, bytes) makes of each entry of ``keys``, each key's
        newest first: from this run's scope, then from each trusted scope for the keys still
        missing; an entry it refuses (None) is counted."""
        if not keys or self._down:
            return {}
        out: dict[str, list[T]] = {}
        problems: list[str] = []
        refused = 0
        missing = list(keys)
        try:
            backend = self._open()
            for scope in self.settings.trust.reads():
                names = {scoped_name(k, scope): k for k in missing}
                raw = backend.get_many(list(names))
                problems += backend.problems
                for name, found in raw.items():
                    key = names[name]
                    for data in found:
                        entry = opened(scope, key, data)
                        if entry is None:
                            refused += 1
                        else:
                            out.setdefault(key, []).append(entry)
                missing = [k for k in missing if k not in out]
                if not missing:
                    break
        except RemoteError as exc:
            self._fail("read", exc)
        self._count(problems, refused)
        return out

    def _count(self, problems: list[str], refused: int) -> None:
        """One warning for entries refused unread, one for the run's refused entries."""
        if problems:
            self.errors += len(problems)
            more = len(problems) - 1
            self.warnings.append(
                f"remote {self.settings.shown}: {len(problems)} entries could not be "
                f"read and were not used ({problems[0]}"
                f"{f', and {more} more' if more else ''}); lockgate writes only regular "
                "files there, within a size limit; they run again"
            )
        if refused:
            self.errors += refused
            self._refused += refused
            why = (
                "signed by no key this run trusts for their scope, or altered"
                if self.settings.trust.scoped
                else "another LOCKGATE_REMOTE_KEY wrote them, or they were altered"
            )
            warning = (
                f"remote {self.settings.shown}: {self._refused} entries failed verification and "
                f"were not used ({why})"
            )
            # one line for the run, however many reads it made
            self.warnings[:] = [warning, *(w for w in self.warnings if w != self._said)]
            self._said = warning

    def publish(self, entries: Sequence[Entry]) -> int:
        """Write ``entries`` in one batch, each under its key and variant; return how many
        were written."""
        trust = self.settings.trust
        apart = {
            name: text
            for e in entries
            for name, text in e.facts.items()
            if shared.shareable(name, text)
        }
        # the facts first: a reader never finds an entry before the facts it names
        if apart and not self._write(
            {(shared.name_of(n), shared.VARIANT): (n, t) for n, t in apart.items()},
            lambda scope, fact, _key: shared.seal(trust, scope, *fact),
        ):
            return 0
        return self._write(
            {(e.result.key, variant_of(e.result.extras)): _refer(e, apart) for e in entries},
            lambda scope, e, _key: seal(trust, scope, e),
        )

    def publish_facts(self, facts: Mapping[str, str]) -> int:
        """Write the parse facts (JSON text by content hash and facts version) this run made
        itself, in one batch; return how many were written."""
        trust = self.settings.trust
        return self._write(
            {(parsed.name_of(d), parsed.VARIANT): text for d, text in facts.items()},
            lambda scope, text, name: parsed.seal(trust, scope, name, text),
        )

    def _write(
        self, items: Mapping[tuple[str, str], T], sealed: Callable[[str | None, T, str], bytes]
    ) -> int:
        """Write every item under its (key, variant) in one batch, as ``sealed`` (scope, item,
        key) seals it for this run's scope; return how many were written."""
        if not items or self._down:
            return 0
        if self.settings.read_only:
            self._reads_only("read_only is set")
            return 0
        trust = self.settings.trust
        why = trust.cannot_write()
        if why is not None:
            self._reads_only(why)
            return 0
        scope = trust.scope
        try:
            self._open().put_many(
                {
                    (scoped_name(key, scope), variant): sealed(scope, item, key)
                    for (key, variant), item in items.items()
                }
            )
        except WriteRefused as exc:
            self._reads_only(f"the server refused a write: {exc}")
            return 0
        except RemoteError as exc:
            self._fail("written", exc)
            return 0
        return len(items)

    def _reads_only(self, why: str) -> None:
        warning = f"remote {self.settings.shown}: reads only ({why})"
        if warning not in self.warnings:  # once per run, however many batches it writes
            self.warnings.append(warning)

    def _fail(self, what: str, exc: RemoteError) -> None:
        self._down = True
        self.errors += 1
        self.warnings.append(
            f"remote {self.settings.shown} could not be {what} ({exc}); "
            "this run goes on from the local store"
        )

    def close(self) -> None:
        """Release the backend's connections."""
        if self._backend is not None:
            self._backend.close()


def _refer(entry: Entry, apart: Mapping[str, str]) -> Entry:
    """``entry`` as written: the facts stored ``apart`` named, not carried."""
    refs = tuple(sorted(n for n in entry.facts if n in apart))
    if not refs:
        return entry
    kept = {n: t for n, t in entry.facts.items() if n not in apart}
    return Entry(entry.result, kept, refs)
