"""Which lines of a file a regex can match, found with a few searches of the whole file.

detect-secrets searches every line with every plugin's regexes: 750,000 lines times 50 regexes
on Faker. Two facts, each decided from the regex's own parse tree, let a few searches of the
file's text (its lines joined by newlines) name the lines worth asking:

* :func:`requirements` — sets of strings one of which every match contains (``AKIA``, ``-us``,
  ``key``; also where two parts meet, ``5.`` in an IP address): a line without any of them
  cannot match. They are found with ``str.find``, and the lines holding them (holding one of a
  second, unrelated set too, when there is one) are checked with the regex itself.
* :func:`confined` — the regex can neither consume a newline nor tell a newline from the end of
  the string: compiled with ``re.MULTILINE``, its matches in the joined text are exactly its
  matches within each line, so the lines of its matches in the text are every line it matches.

A :class:`Screen` combines these for a plugin's regexes; :meth:`Screen.lines` gives the
numbers of the lines it matches, a superset of the lines those regexes match (exactly them,
where the regexes were checked).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from itertools import accumulate
from typing import Any

__all__ = ["Screen", "Text", "confined", "required", "requirements", "screen"]

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
        self.lines = lines
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

    def __init__(self, searches: list[_Search]) -> None:
        self._searches = searches

    def lines(self, text: Text) -> set[int]:
        """The 0-based numbers of the lines of ``text`` where the screen matches."""
        lines = {n for search in self._searches for n in search.lines(text)}
        lines.discard(text.count)  # an empty file is one empty line to a regex
        return lines


class _Whole:
    """A confined regex, searched in the whole text."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self._regex = re.compile(pattern.pattern, pattern.flags | re.MULTILINE)

    def lines(self, text: Text) -> set[int]:
        return {text.line(m.start()) for m in self._regex.finditer(text.text)}


class _Strings:
    """Strings to find in a text, with a regex's case flags: each with ``str.find`` (far faster
    than a regex) when they are few, else one regex that matches each of them; case-blind ones
    in the lower-cased text when :meth:`Text.lowered` allows, else case-blindly."""

    _FEW = 8

    def __init__(self, strings: Iterable[str], blind: bool) -> None:
        self._blind = blind
        self._strings = _least({s.lower() for s in strings} if blind else set(strings))
        many = len(self._strings) > self._FEW
        self._regex = re.compile(_alternation(self._strings)) if many else None
        self._any_case = re.compile(_alternation(self._strings), re.IGNORECASE)

    def lines(self, text: Text) -> set[int]:
        searched = text.lowered() if self._blind else text.text
        if searched is None:
            offsets: Iterable[int] = (m.start() for m in self._any_case.finditer(text.text))
        else:
            offsets = self._offsets(searched)
        return {text.line(offset) for offset in offsets}

    def _offsets(self, text: str) -> Iterator[int]:
        if self._regex is not None:
            yield from (m.start() for m in self._regex.finditer(text))
            return
        for string in self._strings:
            at = text.find(string)
            while at >= 0:
                yield at
                at = text.find(string, at + 1)


class _Checked:
    """Strings (and, when given, strings of a second set too), then the regexes themselves on
    each line holding them: a plugin is asked about no line its regexes do not match (asking
    costs far more than a search)."""

    def __init__(
        self, strings: _Strings, patterns: list[re.Pattern[str]], also: _Strings | None = None
    ) -> None:
        self._strings = strings
        self._also = also
        self._searches = [p.search for p in patterns]

    def lines(self, text: Text) -> set[int]:
        found = self._strings.lines(text)
        if found and self._also is not None:
            found &= self._also.lines(text)
        lines = text.lines
        return {
            n
            for n in found
            if n < text.count and any(search(lines[n]) for search in self._searches)
        }


_Search = _Whole | _Checked


def _least(strings: set[str]) -> list[str]:
    """Fewer strings, one of which is in every string of ``strings``, so a line holding one of
    ``strings`` holds one of them: greedily, the substring of at least three characters, and at
    most one shorter than each, that most of them hold stands for those (``A3T`` for ``A3T0``
    to ``A3TZ``); each search of a file costs about the same."""
    left = set(strings)
    out: set[str] = set()
    while left:
        counts: dict[str, int] = {}
        for string in left:
            # one character shorter at most: a shorter string finds far more lines
            least = max(3, len(string) - 1)
            subs = {
                string[i : i + n] for n in (least, least + 1) for i in range(len(string) - n + 1)
            }
            for sub in subs:
                counts[sub] = counts.get(sub, 0) + 1
        best = max(counts.items(), key=lambda item: (item[1], len(item[0]), item[0]), default=None)
        if best is None or best[1] < 2:
            break
        out.add(best[0])
        left = {string for string in left if best[0] not in string}
    out |= left
    return sorted(s for s in out if not any(t != s and t in s for t in out))


def _alternation(strings: list[str]) -> str:
    """A regex matching each of ``strings``, and possibly more: ``[first letters](?:rests)``,
    since the regex engine skips positions by the first letter only when the regex starts with
    one character set (it then also matches the first letter of one string with the rest of
    another, which a screen may)."""
    firsts = "".join(sorted({re.escape(s[0]) for s in strings}))
    rests = "|".join(sorted({re.escape(s[1:]) for s in strings}, key=lambda r: (-len(r), r)))
    return f"[{firsts}](?:{rests})"


@cache
def screen(patterns: tuple[re.Pattern[str], ...]) -> Screen | None:
    """One screen for a line matching any of ``patterns``, or None when some pattern has no
    string its matches all contain and cannot be searched in joined lines either.

    Each pattern is screened by its required strings when they are three characters or more
    (one search for all of them), or two characters unless it is confined and starts with a
    character set the regex engine skips to; then checked itself on each line holding one.
    Else, when confined, by itself. Which one only changes the speed.
    """
    searches: list[_Search] = []
    # case-blind or not -> strings, patterns: one search for them all
    strong: dict[bool, tuple[set[str], list[re.Pattern[str]]]] = {}
    for pattern in patterns:
        blind = bool(pattern.flags & re.IGNORECASE)
        options = [_searchable(o, blind) for o in requirements(pattern)]
        options = [o for o in options if min(map(len, o)) >= 2]
        strings = options[0] if options else None
        # a set unrelated to the first narrows the lines to check (both must be there)
        also = next((o for o in options[1:] if strings and _unrelated(strings, o)), None)
        shortest = min(map(len, strings)) if strings else 0
        if strings and (shortest >= 3 or not (confined(pattern) and _skips(pattern))):
            if also is not None:
                searches.append(
                    _Checked(_Strings(strings, blind), [pattern], _Strings(also, blind))
                )
            elif shortest >= 3:
                group = strong.setdefault(blind, (set(), []))
                group[0].update(strings)
                group[1].append(pattern)
            else:
                searches.append(_Checked(_Strings(strings, blind), [pattern]))
        elif confined(pattern):
            searches.append(_Whole(pattern))
        else:
            return None
    searches += [
        _Checked(_Strings(strings, blind), group) for blind, (strings, group) in strong.items()
    ]
    return Screen(searches) if searches else None


def _searchable(strings: frozenset[str], blind: bool) -> frozenset[str]:
    """``strings`` as a search can find them: case-blind ones by an ASCII part of each, which
    the lower-cased text can be searched for."""
    if not blind:
        return strings
    return frozenset(max(re.findall(r"[\x00-\x7f]*", s), key=len) for s in strings)


def _unrelated(a: frozenset[str], b: frozenset[str]) -> bool:
    """No string of one holds a string of the other (then lines holding both are fewer)."""
    return not any(x in y or y in x for x in a for y in b)


def _skips(pattern: re.Pattern[str]) -> bool:
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
