"""Which lines of a file a regex can match, found with one search of the whole file.

detect-secrets searches every line with every plugin's regexes: 750,000 lines times 50 regexes
on Faker. Two facts, each decided from the regex's own parse tree, let one search of the file's
text (its lines joined by newlines) name the lines worth asking:

* :func:`required` — strings one of which every match contains (``AKIA``, ``-us``, ``key``): a
  line without any of them cannot match.
* :func:`confined` — the regex can neither consume a newline nor tell a newline from the end of
  the string: compiled with ``re.MULTILINE``, its matches in the joined text are exactly its
  matches within each line, so the lines of its matches in the text are every line it matches.

A :class:`Screen` searches a file's :class:`Text` for the required strings of some regexes, or
for the confined regexes themselves; :meth:`Screen.lines` gives the numbers of the lines it
matches, a superset of the lines those regexes match.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from functools import cache
from importlib import import_module
from itertools import accumulate
from typing import Any

__all__ = ["Screen", "Text", "confined", "required", "screen"]

# The regex engine's own parser (untyped; named sre_parse before Python 3.11): the parse tree
# is the one the engine compiles, so what it says of a pattern holds for its matches.
parser: Any = import_module("re._parser")
sre: Any = import_module("re._constants")

_EXACT_LIMIT = 64  # strings a part of a regex may match before we stop listing them
# Categories that never match "\n", in every flag mode.
_NO_NEWLINE = {
    sre.CATEGORY_DIGIT,
    sre.CATEGORY_WORD,
    sre.CATEGORY_NOT_SPACE,
    sre.CATEGORY_UNI_DIGIT,
    sre.CATEGORY_UNI_WORD,
    sre.CATEGORY_UNI_NOT_SPACE,
    sre.CATEGORY_LOC_WORD,
    sre.CATEGORY_NOT_LINEBREAK,
    sre.CATEGORY_UNI_NOT_LINEBREAK,
}
# Zero-width tests that treat "\n" as they treat the end of the string, once under MULTILINE.
_SAME_AT_NEWLINE = {
    sre.AT_BEGINNING,
    sre.AT_BEGINNING_LINE,
    sre.AT_END,
    sre.AT_END_LINE,
    sre.AT_BOUNDARY,
    sre.AT_NON_BOUNDARY,
    sre.AT_UNI_BOUNDARY,
    sre.AT_UNI_NON_BOUNDARY,
    sre.AT_LOC_BOUNDARY,
    sre.AT_LOC_NON_BOUNDARY,
}


class Text:
    """A file's lines joined by newlines, as screens search it."""

    def __init__(self, lines: list[str]) -> None:
        self.text = "\n".join(lines)
        self.count = len(lines)
        # the offset of each line in text
        self.starts = [0, *accumulate(len(line) + 1 for line in lines)][:-1] or [0]
        self._lowered: str | None = None
        self._lowered_known = False

    def line(self, offset: int) -> int:
        """The 0-based number of the line holding ``offset``."""
        return bisect_right(self.starts, offset) - 1

    def lowered(self) -> str | None:
        """The text lower-cased, offset for offset, when a case-blind match of an ASCII string
        in the text is a plain match of the lower-cased string in it; else None.

        A case-blind regex matches an ASCII letter only with its two cases or one of
        :data:`_FOLDS_TO_ASCII`; without those, a match is made of ASCII characters, which
        ``str.lower`` maps one to one.
        """
        if not self._lowered_known:
            self._lowered_known = True
            text = self.text
            if text.isascii() or not any(c in text for c in _FOLDS_TO_ASCII):
                lowered = text.lower()
                self._lowered = lowered if len(lowered) == len(text) else None
        return self._lowered


# The characters beyond ASCII that a case-blind regex matches with an ASCII one (dotted and
# dotless i, long s, Kelvin sign; tests/unit/test_secret_screens.py checks every code point).
_FOLDS_TO_ASCII = "\u0130\u0131\u017f\u212a"


class Screen:
    """Searches whose matches in a file's :class:`Text` name every line some regexes match."""

    def __init__(self, regexes: list[re.Pattern[str]], exact: set[str], any_case: set[str]) -> None:
        self._regexes = regexes
        self._exact = _least(exact)
        # case-blind ASCII strings: plainly in the lower-cased text, else case-blindly
        self._lower = _least({s.lower() for s in any_case})
        self._any_case = (
            re.compile("|".join(map(re.escape, self._lower)), re.IGNORECASE) if any_case else None
        )

    def lines(self, text: Text) -> set[int]:
        """The 0-based numbers of the lines of ``text`` where the screen matches."""
        found = {m.start() for r in self._regexes for m in r.finditer(text.text)}
        found.update(_offsets(text.text, self._exact))
        if self._any_case is not None:
            lowered = text.lowered()
            if lowered is not None:
                found.update(_offsets(lowered, self._lower))
            else:
                found.update(m.start() for m in self._any_case.finditer(text.text))
        lines = {text.line(offset) for offset in found}
        lines.discard(text.count)  # an empty file is one empty line to a regex
        return lines


def _least(strings: set[str]) -> list[str]:
    """Fewer strings, one of which is in every string of ``strings``, so a line holding one of
    ``strings`` holds one of them: greedily, the substring of at least three characters that
    most of them hold stands for those; each search of a file costs about the same."""
    left = set(strings)
    out: set[str] = set()
    while left:
        counts: dict[str, int] = {}
        for string in left:
            subs = {string[i:j] for i in range(len(string)) for j in range(i + 3, len(string) + 1)}
            for sub in subs:
                counts[sub] = counts.get(sub, 0) + 1
        best = max(counts.items(), key=lambda item: (item[1], len(item[0]), item[0]), default=None)
        if best is None or best[1] < 2:
            break
        out.add(best[0])
        left = {string for string in left if best[0] not in string}
    out |= left
    return sorted(s for s in out if not any(t != s and t in s for t in out))


def _offsets(text: str, strings: list[str]) -> Iterator[int]:
    """Where each of ``strings`` starts in ``text`` (``str.find``: far faster than a regex)."""
    for string in strings:
        at = text.find(string)
        while at >= 0:
            yield at
            at = text.find(string, at + 1)


@cache
def screen(patterns: tuple[re.Pattern[str], ...]) -> Screen | None:
    """One screen for a line matching any of ``patterns``, or None when some pattern has no
    string its matches all contain and cannot be searched in joined lines either."""
    exact: set[str] = set()
    any_case: set[str] = set()
    whole: list[re.Pattern[str]] = []
    for pattern in patterns:
        strings = required(pattern)
        blind = bool(pattern.flags & re.IGNORECASE)
        if strings is not None and blind:
            # an ASCII part of each: what the lower-cased text can be searched for
            strings = frozenset(max(re.findall("[\x00-\x7f]*", s), key=len) for s in strings)
        if strings is not None and min(map(len, strings)) >= 2:
            (any_case if blind else exact).update(strings)
        elif confined(pattern):
            whole.append(pattern)
        else:
            return None
    # each pattern apart: its group numbers (backreferences) stay its own
    regexes = [re.compile(p.pattern, p.flags | re.MULTILINE) for p in whole]
    return Screen(regexes, exact, any_case) if regexes or exact or any_case else None


def required(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Non-empty strings one of which every match of ``pattern`` contains (matched with the
    pattern's case flags), or None when the parse tree shows none."""
    try:
        _, needs = _info(parser.parse(pattern.pattern, pattern.flags).data)
    except _Unknown:
        return None
    return needs


class _Unknown(Exception):
    """A construct this analysis does not model: no claim is made."""


_Info = tuple[frozenset[str] | None, frozenset[str] | None]  # (exactly one of, one of required)


def _info(items: Sequence[tuple[Any, Any]]) -> _Info:
    """For a sequence of parse items: the strings it matches when they are few, and strings
    one of which each match contains."""
    exact: frozenset[str] | None = frozenset({""})
    whole = True  # exact stands for the whole sequence so far
    best: frozenset[str] | None = None
    for op, av in items:
        part, needs = _item(op, av)
        best = _better(best, needs)
        if part is not None and exact is not None and len(exact) * len(part) <= _EXACT_LIMIT:
            exact = frozenset(a + b for a in exact for b in part)
            continue
        best = _better(best, _as_required(exact))
        exact, whole = part, False
        if part is None:
            exact = frozenset({""})
    best = _better(best, _as_required(exact))
    return (exact if whole else None), best


def _item(op: Any, av: Any) -> _Info:
    if op is sre.LITERAL:
        return frozenset({chr(av)}), frozenset({chr(av)})
    if op is sre.IN:
        chars = _chars(av)
        return (chars, None) if chars is not None else (None, None)
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
        return frozenset({""}), None  # zero width: consumes nothing a match must contain
    if op is sre.SUBPATTERN:
        _, add, remove, items = av
        if add or remove:
            raise _Unknown  # scoped flags change what the literals inside match
        return _info(items)
    if op is sre.ATOMIC_GROUP:
        return _info(av)
    if op is sre.BRANCH:
        return _branch(av[1])
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, high, items = av
        exact, needs = _info(items)
        if low == 0:
            if high == 1 and exact is not None:
                return exact | {""}, None
            return None, None
        if low == high and exact is not None and len(exact) ** low <= _EXACT_LIMIT:
            repeated = frozenset({""})
            for _ in range(low):
                repeated = frozenset(a + b for a in repeated for b in exact)
            return repeated, _better(needs, _as_required(repeated))
        return None, _better(needs, _as_required(exact))
    if op in (sre.ANY, sre.NOT_LITERAL, sre.CATEGORY, sre.GROUPREF):
        return None, None
    raise _Unknown


def _branch(alternatives: list[Any]) -> _Info:
    infos = [_info(items) for items in alternatives]
    exact: frozenset[str] | None = None
    if all(e is not None for e, _ in infos):
        union = frozenset().union(*(e for e, _ in infos if e is not None))
        exact = union if len(union) <= _EXACT_LIMIT else None
    needs: set[str] = set()
    for e, n in infos:
        each = _better(n, _as_required(e))
        if each is None:
            return exact, None
        needs |= each
    return exact, frozenset(needs)


def _chars(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    """The characters of a small set without negation or categories, else None."""
    out: set[str] = set()
    for op, av in items:
        if op is sre.LITERAL:
            out.add(chr(av))
        elif op is sre.RANGE and av[1] - av[0] < _EXACT_LIMIT:
            out.update(map(chr, range(av[0], av[1] + 1)))
        else:
            return None
    return frozenset(out) if len(out) <= _EXACT_LIMIT else None


def _as_required(exact: frozenset[str] | None) -> frozenset[str] | None:
    """Exact strings as required ones: only when none is empty."""
    return exact if exact and "" not in exact else None


def _better(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The more selective of two required sets: longest shortest string, then fewest."""
    if a is None or b is None:
        return a if b is None else b
    return min(a, b, key=lambda s: (-min(map(len, s)), len(s), sorted(s)))


def confined(pattern: re.Pattern[str]) -> bool:
    """Whether ``pattern`` can neither consume "\\n" nor tell it from the end of the string."""
    try:
        return _confined(parser.parse(pattern.pattern, pattern.flags).data, pattern.flags)
    except _Unknown:
        return False


def _confined(items: Sequence[tuple[Any, Any]], flags: int) -> bool:
    for op, av in items:
        if op is sre.LITERAL:
            ok = av != ord("\n")
        elif op is sre.ANY:
            ok = not flags & re.DOTALL
        elif op is sre.IN:
            ok = all(_set_item_confined(o, a) for o, a in av)
        elif op is sre.AT:
            ok = av in _SAME_AT_NEWLINE
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            ok = _confined(av[1], flags)
        elif op is sre.SUBPATTERN:
            ok = not av[1] and not av[2] and _confined(av[3], flags)
        elif op is sre.ATOMIC_GROUP:
            ok = _confined(av, flags)
        elif op is sre.BRANCH:
            ok = all(_confined(alt, flags) for alt in av[1])
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            ok = _confined(av[2], flags)
        elif op is sre.GROUPREF:
            ok = True  # repeats a group's text, which holds no "\n"
        else:
            ok = False  # NOT_LITERAL, CATEGORY outside a set, GROUPREF_EXISTS, ...
        if not ok:
            return False
    return True


def _set_item_confined(op: Any, av: Any) -> bool:
    if op is sre.LITERAL:
        return bool(av != ord("\n"))
    if op is sre.RANGE:
        return bool(not av[0] <= ord("\n") <= av[1])
    if op is sre.CATEGORY:
        return av in _NO_NEWLINE
    return False  # NEGATE: the set's complement holds "\n"
