"""CODEOWNERS, GitHub's and GitLab's: who owns a path.

GitHub: one file (``.github/CODEOWNERS``, ``CODEOWNERS`` or ``docs/CODEOWNERS``, the first
found), lines of ``pattern owner…``, the last matching line wins. GitLab adds sections
(``[Name]``, ``^[Optional]``, ``[Name][2]``, with default owners after the header): within a
section the last match wins, and the owners of every section that matches are combined.
Patterns are gitignore's (pathspec), matched against the whole path; a pattern whose last
part is a literal name also owns everything under a folder of that name. A line lockgate
cannot read is a warning naming it, never an error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lockgate import git
from lockgate.errors import LockgateError
from lockgate.model import AlignResult, FeatureResult

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")
_SECTION = re.compile(r"^\^?\[([^\]]+)\](?:\[\d+\])?\s*(.*)$")
_OWNER = re.compile(r"^(@[\w.\-/]+|[^@\s]+@[^@\s]+\.[^@\s]+)$")


@dataclass(frozen=True)
class Rule:
    """One line: its pattern, compiled, and its owners (none: explicitly unowned)."""

    pattern: str
    regex: re.Pattern[str]
    folder_name: bool  # the last part is a literal name: it owns a folder of that name too
    owners: tuple[str, ...]


@dataclass(frozen=True)
class CodeOwners:
    """The parsed file: its rules per section (one unnamed section for GitHub's syntax)."""

    source: str
    sections: tuple[tuple[Rule, ...], ...]
    warnings: tuple[str, ...]

    def owners(self, path: str) -> tuple[str, ...]:
        """The owners of ``path`` (relative to the repository's top, ``/``-separated)."""
        found: list[str] = []
        for rules in self.sections:
            for rule in reversed(rules):
                if _matches(rule, path):
                    found += [o for o in rule.owners if o not in found]
                    break
        return tuple(found)


def _matches(rule: Rule, path: str) -> bool:
    if rule.pattern in ("*", "**"):  # pathspec compiles these to "any one character"
        return True
    hit = rule.regex.match(path)
    if hit is None:
        return False
    return hit.end() == len(path) or (rule.folder_name and hit.group(0).endswith("/"))


def find(top: Path) -> Path | None:
    """The CODEOWNERS file of the repository whose top folder is ``top``, if any."""
    for name in LOCATIONS:
        if (top / name).is_file():
            return top / name
    return None


def parse(text: str, source: str) -> CodeOwners:
    """Parse a CODEOWNERS file's text; ``source`` names it in warnings."""
    sections: list[list[Rule]] = [[]]
    defaults: tuple[str, ...] = ()
    warnings = []
    # lazy: pathspec costs the no-change path an import; only a repository with CODEOWNERS
    # pays for it
    from pathspec import GitIgnoreSpec

    for number, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw).strip()
        if not line:
            continue
        where = f"{source}:{number}"
        section = _SECTION.match(line)
        if section is not None:
            defaults = tuple(section.group(2).split())
            bad = [o for o in defaults if not _OWNER.match(o)]
            if bad:
                warnings.append(f"{where}: {bad[0]!r} is no owner (@user, @org/team or an email)")
                defaults = tuple(o for o in defaults if _OWNER.match(o))
            sections.append([])
            continue
        pattern, *owners = _split(line)
        problem = _check(pattern, owners)
        if problem:
            warnings.append(f"{where}: {problem}; line ignored")
            continue
        spec = GitIgnoreSpec.from_lines([pattern])
        if not spec.patterns or spec.patterns[0].regex is None:
            warnings.append(f"{where}: {pattern!r} is not a pattern; line ignored")
            continue
        last = pattern.rstrip("/").rpartition("/")[2]
        sections[-1].append(
            Rule(
                pattern,
                spec.patterns[0].regex,
                not any(c in last for c in "*?["),
                tuple(owners) or defaults,
            )
        )
    return CodeOwners(source, tuple(tuple(s) for s in sections if s), tuple(warnings))


def _strip_comment(line: str) -> str:
    """The line before an unescaped ``#``."""
    return re.split(r"(?<!\\)#", line, maxsplit=1)[0]


def _split(line: str) -> list[str]:
    """Words split on whitespace that is not escaped (``a\\ b`` is one pattern)."""
    return [w.replace("\\ ", " ") for w in re.split(r"(?<!\\)\s+", line)]


def _check(pattern: str, owners: Sequence[str]) -> str | None:
    if pattern.startswith("!"):
        return f"{pattern!r}: negated patterns are not CODEOWNERS syntax"
    bad = [o for o in owners if not _OWNER.match(o)]
    if bad:
        return f"{bad[0]!r} is no owner (@user, @org/team or an email)"
    return None


UNOWNED = "(unowned)"


def assign(root: Path, result: AlignResult) -> None:
    """Give every feature the owners the repository's CODEOWNERS names for its file; the
    file's unreadable lines become warnings. Nothing changes without a repository or file."""
    top = git.work_tree(root)
    found = find(top) if top is not None else None
    if top is None or found is None:
        return
    try:
        text = found.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        result.warnings.append(f"{found.relative_to(top)}: cannot read it ({exc}); no owners")
        return
    table = parse(text, found.relative_to(top).as_posix())
    result.warnings += table.warnings
    base = root.resolve().relative_to(top)
    for r in result.features:
        r.owners = table.owners((base / r.feature.path).as_posix())


def only(result: AlignResult, owner: str) -> None:
    """Keep the features ``owner`` owns (``--owner``, case-insensitive; ``(unowned)`` for
    those nobody owns); raise when none is left."""
    wanted = owner.casefold()

    def owned(r: FeatureResult) -> bool:
        if wanted == UNOWNED:
            return not r.owners
        return any(o.casefold() == wanted for o in r.owners)

    kept = [r for r in result.features if owned(r)]
    if not kept:
        known = sorted({o for r in result.features for o in r.owners}) or ["none"]
        raise LockgateError(
            f"--owner {owner}: owns no feature; CODEOWNERS names {', '.join(known)}"
        )
    result.features = kept


def groups(result: AlignResult) -> dict[str, list[FeatureResult]]:
    """Owner → the features they own (a feature under each of its owners), owners sorted,
    ``(unowned)`` last; empty when no feature has an owner."""
    if not any(r.owners for r in result.features):
        return {}
    by: dict[str, list[FeatureResult]] = {}
    for r in result.features:
        for owner in r.owners or (UNOWNED,):
            by.setdefault(owner, []).append(r)
    return dict(sorted(by.items(), key=lambda item: (item[0] == UNOWNED, item[0].casefold())))
