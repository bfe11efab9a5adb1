"""Which lines of a file a regex can match, found with a few searches of the whole file.

detect-secrets searches every line with every plugin's regexes: 750,000 lines times 50 regexes
on Faker. Two facts about a regex, read from its parse tree (regexfacts.py), let a few searches
of the file's text (its lines joined by newlines) name the lines worth asking:

* ``requirements`` — sets of strings one of which every match contains (``AKIA``, ``-us``,
  ``key``; also where two parts meet, ``5.`` in an IP address): a line without any of them
  cannot match. They are found with ``str.find``, and the lines holding them (holding one of a
  second, unrelated set too, when there is one) are checked with the regex itself.
* ``confined`` — the regex can neither consume a newline nor tell a newline from the end of
  the string: compiled with ``re.MULTILINE``, its matches in the joined text are exactly its
  matches within each line, so the lines of its matches in the text are every line it matches.

A :class:`Screen` combines these for a plugin's regexes; :meth:`Screen.lines` gives the
numbers of the lines it matches, a superset of the lines those regexes match (exactly them,
where the regexes were checked).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from functools import cache
from itertools import accumulate

from lockgate.deploy.regexfacts import confined, requirements, skips

__all__ = ["Screen", "Text", "screen"]


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
        if strings and (shortest >= 3 or not (confined(pattern) and skips(pattern))):
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
