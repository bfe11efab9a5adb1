"""detect-secrets' ``.secrets.baseline``: the findings a project has audited and allowed.

Read with detect-secrets' own loader (``SecretsCollection.load_from_baseline``), so a baseline
that detect-secrets accepts is read as detect-secrets reads it. Only the audit is used: a finding
is allowed by its file, its hashed secret and its type — never by line number, so moving the
line keeps it allowed, and never when the audit marked it ``is_secret: true``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from lockgate.errors import LockgateError

BASELINE = ".secrets.baseline"

__all__ = ["BASELINE", "Baseline"]


@dataclass(frozen=True)
class Baseline:
    """The allowed ``(file, hashed secret, type)`` findings of one baseline file."""

    allowed: frozenset[tuple[str, str, str]]

    @classmethod
    def parse(cls, data: bytes) -> Baseline:
        """The baseline in ``data``; LockgateError (one line) when detect-secrets cannot read it."""
        # lazy: detect-secrets costs a deploy ~60 ms; only a project with a baseline pays it
        from detect_secrets.core.secrets_collection import SecretsCollection

        try:
            doc = json.loads(data.decode("utf-8"))
            if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict):
                raise ValueError("no 'results' object")
            secrets = SecretsCollection.load_from_baseline(doc)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
            raise LockgateError(
                f"{BASELINE} cannot be read as a detect-secrets baseline ({reason}); "
                f"regenerate it with `detect-secrets scan > {BASELINE}`"
            ) from None
        return cls(
            frozenset(
                (filename, secret.secret_hash, secret.type)
                for filename, secret in secrets
                if secret.is_secret is not True
            )
        )

    def allows(self, path: str, hashed: str, kind: str) -> bool:
        """Whether the audit allowed this finding."""
        return (path, hashed, kind) in self.allowed
