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
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.keyword import DENYLIST_REGEX, KeywordDetector
from detect_secrets.settings import default_settings, get_plugins
from detect_secrets.util.code_snippet import get_code_snippet

from lockgate.deploy.screens import Screen, Text, screen

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
    """detect-secrets' plugins, each with the screen (screens.py) that names the lines it may
    match, found with a few searches of a whole file instead of one per line and plugin.

    * The keyword plugin only ever matches a line holding one of its keywords.
    * A plain regex plugin (the base ``analyze_line``, and the base ``analyze_string``, which
      yields ``findall`` matches of its ``denylist`` patterns, or JWT's, which filters those)
      only a line one of its patterns matches.
    * An entropy plugin (not in eager mode, which detect-secrets uses for ad-hoc strings only)
      reports a quoted run of its charset whose Shannon entropy exceeds its limit; a string of n
      characters has at most log2(n), so only a line with a run longer than 2**limit.
    * The others, and any whose regexes give no screen, are asked about every line.
    """

    def __init__(self, plugins: list[BasePlugin]) -> None:
        self.screened: list[tuple[Screen, BasePlugin]] = []
        self.every: list[BasePlugin] = []
        for plugin in plugins:
            patterns = _patterns(plugin)
            found = screen(tuple(patterns)) if patterns else None
            if found is None:
                self.every.append(plugin)
            else:
                self.screened.append((found, plugin))

    def asked(self, stripped: list[str]) -> dict[int, list[BasePlugin]]:
        """0-based line number -> the plugins that may match that line of ``stripped``; every
        line that may match a plugin of :attr:`every` is a key as well."""
        text = Text(stripped)
        out: dict[int, list[BasePlugin]] = (
            {n: list(self.every) for n in range(len(stripped))} if self.every else {}
        )
        for found, plugin in self.screened:
            for n in found.lines(text):
                out.setdefault(n, []).append(plugin)
        return out


# analyze_string methods that yield some of what RegexBasedDetector.analyze_string yields
_REGEX_FINDINGS = {RegexBasedDetector.analyze_string, JwtTokenDetector.analyze_string}


def _patterns(plugin: BasePlugin) -> list[re.Pattern[str]]:
    """Regexes one of which matches every line ``plugin`` reports; empty when unknown."""
    if isinstance(plugin, KeywordDetector):
        return [re.compile(DENYLIST_REGEX, re.IGNORECASE)]
    if (
        isinstance(plugin, RegexBasedDetector)
        and type(plugin).analyze_line is BasePlugin.analyze_line
        and type(plugin).analyze_string in _REGEX_FINDINGS
    ):
        return list(plugin.denylist)
    if (
        isinstance(plugin, HighEntropyStringsPlugin)
        and type(plugin).analyze_line is HighEntropyStringsPlugin.analyze_line
        and type(plugin).analyze_string is HighEntropyStringsPlugin.analyze_string
        and plugin.regex.pattern == _quoted(plugin.charset)
    ):
        return [_long_quoted(plugin.charset, plugin.entropy_limit)]
    return []


def _quoted(charset: str) -> str:
    """The pattern of detect-secrets' entropy plugins (``HighEntropyStringsPlugin.regex``)."""
    return "([\\'\"])([" + re.escape(charset) + "]+)(\\1)"


def _long_quoted(charset: str, limit: float) -> re.Pattern[str]:
    """Quoted runs of ``charset`` longer than ``2 ** limit``: the only ones that can exceed it."""
    shortest = math.floor(2**limit) + 1
    return re.compile("([\\'\"])([" + re.escape(charset) + f"]{{{shortest},}})(\\1)")


def _raw_hits(path: str, lines: list[str], plugins: _Plugins) -> list[tuple[int, list[BasePlugin]]]:
    """Each line some plugin matches before detect-secrets' filters, with those plugins.

    The same plugin calls detect-secrets makes, on the lines their screens name, minus its
    per-call argument injection and filters, which cost three quarters of its time: filters only
    ever remove findings, so a (line, plugin) without a raw hit has none.
    """
    stripped = [line.rstrip() for line in lines]
    found = []
    for index, asked in sorted(plugins.asked(stripped).items()):
        number = index + 1
        hit = [
            p
            for p in asked
            if p.analyze_line(filename=path, line=stripped[index], line_number=number)
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
