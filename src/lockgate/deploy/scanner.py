"""detect-secrets over text files, as detect-secrets itself scans them, several times faster.

Imported only when a file needs scanning (see :func:`lockgate.deploy.secrets.scan_secrets`):
detect-secrets costs ~60 ms to import, a fifth of a deploy that reuses every scan.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from detect_secrets.core.potential_secret import PotentialSecret
from detect_secrets.core.scan import _is_filtered_out, _scan_line
from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector
from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
from detect_secrets.plugins.keyword import DENYLIST_REGEX, KeywordDetector
from detect_secrets.settings import default_settings, get_plugins
from detect_secrets.util.code_snippet import get_code_snippet

__all__ = ["scan"]


def scan(files: list[tuple[str, str]]) -> list[list[str]]:
    """detect-secrets' findings per ``(path, text)`` file, as ``path:line (kind) hash`` (the
    secret's SHA-1, which .secrets.baseline lists), never values."""
    out: list[list[str]] = []
    with default_settings():
        plugins = _Plugins(get_plugins())
        for path, text in files:
            lines = text.splitlines()
            hits = _confirmed(path, lines, _raw_hits(path, lines, plugins))
            unique = sorted({(s.line_number, s.type, s.secret_hash) for s in hits})
            out.append([f"{path}:{n} ({kind}) {hashed}" for n, kind, hashed in unique])
    return out


class _Plugins:
    """detect-secrets' plugins, grouped by the cheapest way to rule a line out for them.

    * The keyword plugin only ever matches a line holding one of its keywords.
    * A plain regex plugin (the base ``analyze_line`` and ``analyze_string``: a hit is a
      ``findall`` of one of its ``denylist`` patterns) matches a line exactly when one search of
      all their patterns joined matches it: one search instead of twenty plugin calls.
    * An entropy plugin only when the line holds a quoted run long enough to exceed its limit.
    * The others (JWT) are asked about every line.
    """

    def __init__(self, plugins: list[BasePlugin]) -> None:
        self.keywords = re.compile(DENYLIST_REGEX, re.IGNORECASE)
        self.keyword = [p for p in plugins if isinstance(p, KeywordDetector)]
        plain = [
            p
            for p in plugins
            if isinstance(p, RegexBasedDetector)
            and type(p).analyze_line is BasePlugin.analyze_line
            and type(p).analyze_string is RegexBasedDetector.analyze_string
        ]
        self.joined: re.Pattern[str] | None = None
        try:
            self.joined = re.compile(
                "|".join(f"(?:{_scoped(r)})" for p in plain for r in p.denylist)
            )
        except re.error:
            plain = []  # not expressible as one pattern: ask each plugin, as detect-secrets does
        self.plain = plain
        # An entropy plugin (not in eager mode, which detect-secrets uses for ad-hoc strings
        # only) reports a quoted run of its charset whose Shannon entropy exceeds its limit; a
        # string of n characters has at most log2(n), so only a run longer than 2**limit can.
        self.long_quoted: list[tuple[BasePlugin, re.Pattern[str]]] = [
            (p, _long_quoted(p.charset, p.entropy_limit))
            for p in plugins
            if isinstance(p, HighEntropyStringsPlugin)
            and type(p).analyze_string is HighEntropyStringsPlugin.analyze_string
            and p.regex.pattern == _quoted(p.charset)
        ]
        grouped = [*self.keyword, *plain, *(p for p, _ in self.long_quoted)]
        self.other = [p for p in plugins if p not in grouped]

    def candidates(self, line: str) -> list[BasePlugin]:
        """The plugins that may match ``line``; the rest cannot."""
        out = list(self.other)
        if self.keyword and self.keywords.search(line):
            out += self.keyword
        if self.plain and self.joined is not None and self.joined.search(line):
            out += self.plain
        out += [p for p, long in self.long_quoted if long.search(line)]
        return out


def _quoted(charset: str) -> str:
    """The pattern of detect-secrets' entropy plugins (``HighEntropyStringsPlugin.regex``)."""
    return "([\\'\"])([" + re.escape(charset) + "]+)(\\1)"


def _long_quoted(charset: str, limit: float) -> re.Pattern[str]:
    """Quoted runs of ``charset`` longer than ``2 ** limit``: the only ones that can exceed it."""
    shortest = math.floor(2**limit) + 1
    return re.compile("([\\'\"])([" + re.escape(charset) + f"]{{{shortest},}})(\\1)")


def _scoped(pattern: re.Pattern[str]) -> str:
    """``pattern`` with its flags made local to it, to sit in an alternation of others."""
    flags = "".join(
        letter
        for flag, letter in (
            (re.IGNORECASE, "i"),
            (re.MULTILINE, "m"),
            (re.DOTALL, "s"),
            (re.VERBOSE, "x"),
        )
        if pattern.flags & flag
    )
    # A verbose pattern may end in a comment: the newline ends it before the closing paren.
    return f"(?{flags}:{pattern.pattern}\n)" if "x" in flags else f"(?{flags}:{pattern.pattern})"


def _raw_hits(path: str, lines: list[str], plugins: _Plugins) -> list[tuple[int, list[BasePlugin]]]:
    """Each line some plugin matches before detect-secrets' filters, with those plugins.

    The same plugin calls detect-secrets makes, minus its per-call argument injection and filters,
    which cost three quarters of its time: filters only ever remove findings, so a (line, plugin)
    without a raw hit has none.
    """
    found = []
    for number, line in enumerate(lines, start=1):
        stripped = line.rstrip()
        hit = [
            p
            for p in plugins.candidates(stripped)
            if p.analyze_line(filename=path, line=stripped, line_number=number)
        ]
        if hit:
            found.append((number, hit))
    return found


def _confirmed(
    path: str, lines: list[str], hits: list[tuple[int, list[BasePlugin]]]
) -> Iterator[PotentialSecret]:
    """detect-secrets' own line processing (``core.scan._process_line_based_plugins``: argument
    injection, line and context filters, the code snippet of the whole file around each line),
    run on the raw hits only instead of on every line with every plugin — on a file with one hit
    the whole-file pass cost 100 times more."""
    for number, plugins in hits:
        line = lines[number - 1].rstrip()
        snippet = get_code_snippet(lines=lines, line_number=number)
        if _is_filtered_out(
            required_filter_parameters=["line"], filename=path, line=line, context=snippet
        ):
            continue
        for plugin in plugins:
            for secret in _scan_line(
                plugin=plugin, filename=path, line=line, line_number=number, context=snippet
            ):
                if not _is_filtered_out(
                    required_filter_parameters=["context"],
                    filename=secret.filename,
                    secret=secret.secret_value,
                    plugin=plugin,
                    line=line,
                    context=snippet,
                ):
                    yield secret
