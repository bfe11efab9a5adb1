"""What a regex's parse tree shows of its matches, whatever the text (deploy/screens.py uses it).

* :func:`requirements` — sets of strings one of which every match contains (``AKIA``, ``-us``,
  ``key``; also where two parts meet, ``5.`` in an IP address).
* :func:`confined` — the regex can neither consume a newline nor tell a newline from the end of
  the string.
* :func:`skips` — it starts by consuming one of a few characters.

Each answers from the regex engine's own parse tree; a construct it does not model gives no
claim (no strings, not confined).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import Any

__all__ = ["confined", "required", "requirements", "skips"]

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


def skips(pattern: re.Pattern[str]) -> bool:
    """Whether ``pattern`` starts by consuming one of a few characters (the engine then skips
    to those instead of trying every position)."""
    items = parser.parse(pattern.pattern, pattern.flags).data
    try:
        return bool(items) and _item(*items[0]).first is not None
    except _Unknown:
        return False


def required(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Non-empty strings one of which every match of ``pattern`` contains (matched with the
    pattern's case flags), or None when the parse tree shows none."""
    found = requirements(pattern)
    return found[0] if found else None


def requirements(pattern: re.Pattern[str]) -> list[frozenset[str]]:
    """Every set of non-empty strings the parse tree shows each match of ``pattern`` to hold one
    of, the most selective first."""
    try:
        info = _info(parser.parse(pattern.pattern, pattern.flags).data)
    except _Unknown:
        return []
    return sorted(info.options(), key=_selectivity)


class _Unknown(Exception):
    """A construct this analysis does not model: no claim is made."""


_Chars = frozenset[str] | None


@dataclass(frozen=True)
class _Info:
    """What the parse tree says of a part of a regex."""

    exact: frozenset[str] | None  # every string it matches, when they are few
    needs: frozenset[str] | None  # strings one of which each match contains
    first: _Chars = None  # the characters a match starts with (each match is non-empty)
    last: _Chars = None  # the characters a match ends with (each match is non-empty)
    # other sets of strings one of which each match contains, needs among them
    also: tuple[frozenset[str], ...] = ()

    def options(self) -> list[frozenset[str]]:
        """Every set of strings the analysis found each match to hold one of."""
        return [*self.also, *([self.needs] if self.needs is not None else [])]


_UNKNOWN = _Info(None, None)
_NOTHING = _Info(frozenset({""}), None)  # zero width: matches consume nothing


def _exactly(strings: frozenset[str], needs: frozenset[str] | None = None) -> _Info:
    full = "" not in strings
    return _Info(
        strings,
        _better(needs, strings if full and strings else None),
        frozenset(s[0] for s in strings) if full else None,
        frozenset(s[-1] for s in strings) if full else None,
    )


def _info(items: Sequence[tuple[Any, Any]]) -> _Info:
    """For a sequence of parse items: the strings it matches when they are few, sets of strings
    one of which each match contains, and the characters its matches start and end with."""
    parts = [_item(op, av) for op, av in items]
    tail: frozenset[str] = frozenset({""})  # each match so far ends with one of these
    whole = True  # tail is every match so far
    found: list[frozenset[str]] = []  # each holds a string of every match

    def note(strings: frozenset[str] | None) -> None:
        if strings is not None and strings not in found:
            found.append(strings)

    for part in parts:
        for option in part.options():
            note(option)
        if part.exact is not None:
            joined = _joined(tail, part.exact)
            if joined is not None:
                tail = joined
                continue
            note(_as_required(tail))
            tail, whole = part.exact, False
            continue
        # a part without a short list: the strings around it still meet its first and last
        # characters
        if part.first is not None:
            note(_as_required(_joined(tail, part.first)))
        note(_as_required(tail))
        tail, whole = (part.last if part.last is not None else frozenset({""})), False
    note(_as_required(tail))
    best = min(found, key=_selectivity) if found else None
    if whole:
        return _exactly(tail, best)
    consuming = [p for p in parts if p.exact != frozenset({""})]
    first = consuming[0].first if consuming else None
    last = consuming[-1].last if consuming else None
    return _Info(None, best, first, last, tuple(f for f in found if f != best))


def _joined(heads: frozenset[str], tails: frozenset[str]) -> frozenset[str] | None:
    """Each of ``heads`` followed by each of ``tails``; None when too many."""
    if len(heads) * len(tails) > _EXACT_LIMIT:
        return None
    return frozenset(a + b for a in heads for b in tails)


def _item(op: Any, av: Any) -> _Info:
    if op is sre.LITERAL:
        return _exactly(frozenset({chr(av)}))
    if op is sre.IN:
        chars = _chars(av)
        return _exactly(chars) if chars is not None else _UNKNOWN
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
        return _NOTHING
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
        inner = _info(items)
        if low == 0:
            if high == 1 and inner.exact is not None:
                return _Info(inner.exact | {""}, None)
            return _UNKNOWN
        if low == high and inner.exact is not None and len(inner.exact) ** low <= _EXACT_LIMIT:
            repeated = frozenset({""})
            for _ in range(low):
                repeated = frozenset(a + b for a in repeated for b in inner.exact)
            return _exactly(repeated, inner.needs)
        needs = _better(inner.needs, _as_required(inner.exact))
        also = tuple(o for o in inner.options() if o != needs)
        return _Info(None, needs, inner.first, inner.last, also)
    if op in (sre.ANY, sre.NOT_LITERAL, sre.CATEGORY, sre.GROUPREF):
        return _UNKNOWN
    raise _Unknown


def _branch(alternatives: list[Any]) -> _Info:
    infos = [_info(items) for items in alternatives]
    exact: frozenset[str] | None = None
    if all(i.exact is not None for i in infos):
        union = frozenset().union(*(i.exact for i in infos if i.exact is not None))
        exact = union if len(union) <= _EXACT_LIMIT else None
    if exact is not None:
        return _exactly(exact)
    needs: set[str] | None = set()
    for info in infos:
        each = _better(info.needs, _as_required(info.exact))
        if each is None or needs is None:
            needs = None
        else:
            needs |= each
    return _Info(
        None,
        frozenset(needs) if needs is not None else None,
        _union(i.first for i in infos),
        _union(i.last for i in infos),
    )


def _union(sets: Iterable[_Chars]) -> _Chars:
    out: set[str] = set()
    for chars in sets:
        if chars is None:
            return None
        out |= chars
    return frozenset(out) if len(out) <= _EXACT_LIMIT else None


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
    """The more selective of two required sets: longest shortest string, then fewest strings,
    then longest in all, then fewest first characters (a search skips to those)."""
    if a is None or b is None:
        return a if b is None else b
    return min(a, b, key=_selectivity)


def _selectivity(strings: frozenset[str]) -> tuple[int, int, int, int, list[str]]:
    lengths = [len(s) for s in strings]
    firsts = len({s[0] for s in strings})
    return (-min(lengths), len(strings), -sum(lengths), firsts, sorted(strings))


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
