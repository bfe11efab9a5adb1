"""The deploy gates as data: what each one found, how severe it is, and whether it blocks.

The integration and tests gates judge an :class:`~lockgate.model.AlignResult`; the version,
purity and mocks gates judge the files that would ship, through an :class:`Evidence` that the
package gathers in one pass over their blobs (see :mod:`lockgate.deploy.package`).
"""

from __future__ import annotations

import ast
import configparser
import hashlib
import json
import math
import os
import posixpath
import re
import tomllib
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from fnmatch import translate
from importlib import metadata
from multiprocessing import get_context
from typing import TYPE_CHECKING

from lockgate import __version__
from lockgate.deploy.baseline import Baseline
from lockgate.git import SYMLINK
from lockgate.model import AlignResult
from lockgate.project.config import Config, Gates
from lockgate.words import counted, plural

if TYPE_CHECKING:
    from detect_secrets.core.potential_secret import PotentialSecret
    from detect_secrets.plugins.base import BasePlugin

__all__ = [
    "GATES",
    "Evidence",
    "GateResult",
    "agreed_version",
    "blockers",
    "blocking",
    "check_closure",
    "check_integration",
    "check_mocks",
    "check_purity",
    "check_tests",
    "check_version",
    "examine",
    "is_env_file",
    "is_test_failure",
    "read_version",
    "run_gates",
    "scan_secrets",
    "secret_key",
]


def _names(*patterns: str) -> re.Pattern[str]:
    """One regex for file-name globs (matched against lower-cased base names)."""
    return re.compile("|".join(translate(p) for p in patterns))


GATES: tuple[str, ...] = ("integration", "tests", "version", "purity", "mocks", "closure")
LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
_SHOWN = 20  # items listed in one detail before "… and N more"
_CHUNK = 100  # text files per secret-scanning task
_POOL_AFTER = 4  # chunks scanned in this process before worker processes are worth starting
# detect-secrets is imported only when a file needs scanning: a no-change deploy reuses every
# scan from the store and need not pay for loading it.
# "hashed": each stored finding carries its hashed secret, which .secrets.baseline matches on.
_SCANNER = (
    f"lockgate {__version__}, detect-secrets {metadata.version('detect-secrets')}, defaults, hashed"
)
# One stored finding: "path:line (type)", then the secret's SHA-1 (as detect-secrets hashes it)
# when it came from detect-secrets; the hash is never shown.
_FINDING = re.compile(r"^(?P<shown>.*\((?P<kind>[^()]*)\))(?: (?P<hash>[0-9a-f]{40}))?$")

_ENV_TEMPLATES = (".example", ".sample", ".template", ".dist")
_KEY_FILES = _names("id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", "*.p12", "*.pfx", "*.jks")
_KEY_FILES_UNLESS_PUBLIC = _names("*.pem", "*.key")
_CREDENTIAL_FILES = _names(
    "credentials",
    "credentials.json",
    "credentials.yml",
    "credentials.yaml",
    "credentials.ini",
    "*-credentials.json",
    "*_credentials.json",
    ".git-credentials",
    ".netrc",
    "_netrc",
    ".pypirc",
    ".pgpass",
    ".htpasswd",
)
# The tested layer's verdicts that are not test failures: no tests at all, or passing tests that
# cover too little (see lockgate.layers.tested.judge); the integration gate covers those.
_NOT_A_TEST_FAILURE = re.compile(r"^(no tests?\b|\d+ tests? (pass|passes|ran)\b)")


@dataclass(frozen=True)
class GateResult:
    """One gate's verdict; ``severity`` is ``error`` (blocks), ``warning`` or ``off``."""

    name: str
    passed: bool
    severity: str
    detail: str


@dataclass
class Evidence:
    """What the files that would ship say, gathered for the version, purity and mocks gates."""

    secrets: list[str] = field(default_factory=list)
    allowed: int = 0  # findings .secrets.baseline allowed
    dev_files: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    mocks: list[str] = field(default_factory=list)
    versions: dict[str, str | None] = field(default_factory=dict)  # present version files only
    broken: list[str] = field(default_factory=list)  # version files that cannot be read
    scanned: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # new secret scans
    lfs: list[str] = field(default_factory=list)  # Git LFS pointers: the pointer would ship
    # For the closure gate: every shipped path → the content hash validation would have seen
    # there (links followed inside the package, None when they lead nowhere in it) …
    shipped: dict[str, str | None] = field(default_factory=dict)
    # … and the paths that never ship by design (tests, conftest.py), validated all the same.
    dev_only: Callable[[str], bool] = lambda _path: False


def examine(
    files: Iterable[tuple[str, str, str, bytes]],
    versions: Iterable[tuple[str, bytes]],
    gates: Gates,
    jobs: int = 1,
    known: Mapping[str, list[str]] | None = None,
    baseline: Baseline | None = None,
) -> Evidence:
    """Gather evidence from ``(path, mode, blob id, data)`` of every shipped file and the
    ``(path, data)`` of the version files.

    Work for a gate that is ``off`` is skipped. ``known`` maps :func:`secret_key` to findings
    of earlier scans, which are reused; new scans land in ``Evidence.scanned``. Secret scanning
    spreads over ``jobs`` processes when there are many files. A finding ``baseline`` allows is
    counted in ``Evidence.allowed`` instead of ``Evidence.secrets``; the stored scans never depend
    on the baseline, so it is applied afresh on every deploy.
    """
    evidence = Evidence()
    for path, data in versions:
        try:
            evidence.versions[path] = read_version(path, data)
        except ValueError as exc:
            evidence.broken.append(f"{path}: {exc}")
    found: dict[str, list[str]] = {}  # path -> findings, in file order
    with _SecretScan(jobs) as scan:
        for path, mode, blob, data in files:
            if gates.purity != "off" and _examine_purity(path, mode, data, evidence, found):
                key = secret_key(path, blob)
                if known is not None and key in known:
                    found[path] = known[key]
                else:
                    found[path] = []  # keeps the file's place; filled below
                    scan.add(key, path, data.decode("utf-8", errors="replace"))
            if gates.mocks != "off" and mode != SYMLINK and path.endswith(".py"):
                evidence.mocks.extend(_mock_imports(path, data))
        evidence.scanned = scan.results()
    for path, items in evidence.scanned.values():
        found[path] = items
    shown_once: set[str] = set()
    for path, items in found.items():
        for item in items:
            match = _FINDING.match(item)
            shown, kind, hashed = (
                match.group("shown", "kind", "hash") if match else (item, "", None)
            )
            if baseline is not None and hashed and baseline.allows(path, hashed, kind):
                evidence.allowed += 1
            elif shown not in shown_once:  # two secrets of one type on a line: one problem
                shown_once.add(shown)
                evidence.secrets.append(shown)
    return evidence


def secret_key(path: str, blob: str) -> str:
    """The store key of one file's secret scan: its content, its name and the scanner."""
    return hashlib.sha256("\0".join(("secrets", _SCANNER, path, blob)).encode()).hexdigest()


def _examine_purity(
    path: str, mode: str, data: bytes, evidence: Evidence, found: dict[str, list[str]]
) -> bool:
    """Check links, names and dev files; True when the content still needs a secret scan."""
    if mode == SYMLINK:
        target = os.fsdecode(data)
        if _leaves_repo(path, target):
            evidence.links.append(f"{path} -> {target}")
        return False
    if data.startswith(LFS_POINTER):
        evidence.lfs.append(path)
    if is_env_file(path):
        evidence.dev_files.append(f"{path} (environment file)")
    kind = _secret_by_name(path, data)
    if kind:
        found[path] = [f"{path} ({kind})"]
        return False
    return b"\0" not in data[:8192]  # binary: detect-secrets reads text files only


def run_gates(result: AlignResult, config: Config, evidence: Evidence) -> list[GateResult]:
    """Every gate, in the order of DESIGN.md; a gate set to ``off`` passes with detail "off"."""
    severity = config.gates.model_dump()
    verdicts = {
        "integration": lambda: check_integration(result, config.threshold),
        "tests": lambda: check_tests(result),
        "version": lambda: check_version(evidence, config.deploy.version_files),
        "purity": lambda: check_purity(evidence),
        "mocks": lambda: check_mocks(evidence),
        "closure": lambda: check_closure(result.inputs, evidence),
    }
    out = []
    for name in GATES:
        if severity[name] == "off":
            out.append(GateResult(name, True, "off", "off"))
            continue
        passed, detail = verdicts[name]()
        out.append(GateResult(name, passed, severity[name], detail))
    return out


def blocking(gates: Iterable[GateResult]) -> bool:
    """True when any gate of severity ``error`` failed."""
    return bool(blockers(gates))


def blockers(gates: Iterable[GateResult]) -> list[str]:
    """The names of the failed gates of severity ``error``."""
    return [g.name for g in gates if not g.passed and g.severity == "error"]


def check_integration(result: AlignResult, threshold: int) -> tuple[bool, str]:
    """Every non-internal feature scores at least ``threshold``."""
    under = sorted(
        (f for f in result.features if not f.feature.internal and f.score < threshold),
        key=lambda f: (f.score, f.feature.id),
    )
    if not under:
        gated = sum(not f.feature.internal for f in result.features)
        return True, f"{counted(gated, 'feature')} at or above {threshold}"
    items = [f"{f.feature.id} {f.score} ({threshold - f.score} under)" for f in under]
    return False, f"{len(under)} under {threshold}: {_listing(items)}"


def check_tests(result: AlignResult) -> tuple[bool, str]:
    """Every feature's tests and every test file that belongs to no feature pass."""
    failures = []
    for f in result.features:
        tested = f.layers.get("tested")
        if tested is not None and is_test_failure(tested.passed, tested.detail):
            failures.append(f"{f.feature.id}: {tested.detail}")
    failures += [f"{s.path}: {s.detail}" for s in result.suite if not s.passed]
    if failures:
        return False, _listing(failures)
    judged = sum("tested" in f.layers for f in result.features)
    features = counted(judged, "feature's", "features'")
    return True, f"{features} tests and {counted(len(result.suite), 'other test file')} pass"


def is_test_failure(passed: bool, detail: str) -> bool:
    """Whether a tested layer failed because tests failed, not for lack of tests or coverage.

    Any verdict not recognisably "no tests" or "tests pass" counts as a failure, so a crash, a
    timeout or an unknown detail can never slip through.
    """
    return not passed and not _NOT_A_TEST_FAILURE.match(detail)


def check_version(evidence: Evidence, configured: list[str]) -> tuple[bool, str]:
    """The configured version files that exist agree on one version."""
    if evidence.broken:
        return False, _listing(evidence.broken)
    found = {path: v for path, v in evidence.versions.items() if v is not None}
    if not found:
        looked = [
            f"{p} has no version" if p in evidence.versions else f"{p} missing" for p in configured
        ]
        return False, f"no version found: {', '.join(looked)}"
    if len(set(found.values())) > 1:
        return False, "versions disagree: " + ", ".join(f"{p}={v}" for p, v in found.items())
    (value,) = set(found.values())
    return True, f"{value} ({', '.join(found)})"


def agreed_version(evidence: Evidence) -> str | None:
    """The version every version file declares, or None when they disagree or none does."""
    values = {v for v in evidence.versions.values() if v is not None}
    return values.pop() if len(values) == 1 and not evidence.broken else None


def check_purity(evidence: Evidence) -> tuple[bool, str]:
    """No secret, no dev file and no link out of the repository would ship."""
    problems = (
        [f"secret: {s}" for s in evidence.secrets]
        + [f"dev file: {d}" for d in evidence.dev_files]
        + [f"link leaves the repository: {link}" for link in evidence.links]
        + [f"Git LFS pointer: {p} (the pointer would ship, not the file)" for p in evidence.lfs]
    )
    if problems:
        return False, _listing(problems)
    if evidence.allowed:
        allowed = counted(evidence.allowed, "finding")
        return (
            True,
            f"no secrets, dev files or outside links ({allowed} allowed by .secrets.baseline)",
        )
    return True, "no secrets, dev files or outside links"


def check_closure(inputs: Mapping[str, str | None], evidence: Evidence) -> tuple[bool, str]:
    """Every file validation depended on ships as validated, and none it saw absent ships.

    Files that never ship by design (tests, conftest.py) are exempt; ``deploy.exclude`` is not:
    a module a feature imports must ship, whoever excluded it.
    """
    problems = []
    for path, validated in inputs.items():
        if path in evidence.shipped:
            shipped = evidence.shipped[path]
            if validated is None:
                problems.append(f"{path} was absent when validated but ships")
            elif shipped != validated:
                problems.append(f"{path} ships with other content than was validated")
        elif validated is not None and not evidence.dev_only(path):
            problems.append(
                f"{path} was validated but does not ship (untracked, ignored or excluded)"
            )
    if problems:
        return False, _listing(problems)
    depended = sum(v is not None for v in inputs.values())
    return True, (
        f"all {counted(depended, 'file')} validation depended on "
        f"{plural(depended, 'ships', 'ship')} as validated"
    )


def check_mocks(evidence: Evidence) -> tuple[bool, str]:
    """No production module imports ``unittest.mock`` or ``mock``."""
    if evidence.mocks:
        return False, _listing(evidence.mocks)
    return True, "no production module imports mock"


def read_version(path: str, data: bytes) -> str | None:
    """The version ``path`` declares, None when it declares none; ValueError when unreadable."""
    name = posixpath.basename(path)
    text = data.decode("utf-8", errors="replace")
    if name == "pyproject.toml":
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"invalid TOML: {exc}") from None
        project = doc.get("project", {})
        if "version" in project.get("dynamic", []):
            return None
        value = project.get("version") or doc.get("tool", {}).get("poetry", {}).get("version")
    elif name == "package.json":
        try:
            value = json.loads(text).get("version")
        except (json.JSONDecodeError, AttributeError) as exc:
            raise ValueError(f"invalid JSON: {exc}") from None
    elif name == "setup.cfg":
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text)
        except configparser.Error as exc:
            raise ValueError(f"invalid setup.cfg: {exc}") from None
        value = parser.get("metadata", "version", fallback=None)
        if value and value.startswith(("attr:", "file:")):
            return None
    elif name.endswith(".py"):
        value = _dunder_version(data)
    else:
        value = next((line.strip() for line in text.splitlines() if line.strip()), None)
    return str(value).strip() if value else None


def version_paths(config: Config, paths: Iterable[str]) -> list[str]:
    """The version files to read: ``deploy.version_files``, and — unless that list was set —
    ``<package>/VERSION`` and ``<package>/__init__.py`` (its ``__version__``) of every
    top-level package under a ``src`` root among ``paths`` (the committed files)."""
    configured = list(config.deploy.version_files)
    if "version_files" in config.deploy.model_fields_set:
        return configured
    present = set(paths)
    found: list[str] = []
    for src in config.src:
        prefix = "" if src.strip("/") in ("", ".") else src.strip("/") + "/"
        for path in sorted(present):
            rest = path[len(prefix) :] if path.startswith(prefix) else None
            if rest is None or rest.count("/") != 1 or not rest.endswith("/__init__.py"):
                continue
            package = prefix + rest.rpartition("/")[0]
            found += [f"{package}/VERSION", f"{package}/__init__.py"]
    return list(dict.fromkeys([*configured, *(p for p in found if p in present)]))


def _dunder_version(source: bytes) -> str | None:
    tree = _parse(source)
    for node in tree.body if tree else []:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            named = any(isinstance(t, ast.Name) and t.id == "__version__" for t in targets)
            if named and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return node.value.value
    return None


def _parse(source: bytes) -> ast.Module | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes etc. are not ours to report
        try:
            return ast.parse(source)
        except (SyntaxError, ValueError):
            return None  # the imported layer reports broken modules


def _mock_imports(path: str, source: bytes) -> list[str]:
    if b"mock" not in source:
        return []  # every form of the import names it: no need to parse
    tree = _parse(source)
    found = []
    for node in ast.walk(tree) if tree else []:
        if isinstance(node, ast.Import):
            found += [
                f"{path}:{node.lineno} import {a.name}" for a in node.names if _is_mock(a.name)
            ]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [a.name for a in node.names]
            if _is_mock(node.module) or (node.module == "unittest" and "mock" in names):
                found.append(f"{path}:{node.lineno} from {node.module} import {', '.join(names)}")
    return found


def _is_mock(module: str) -> bool:
    return module in ("mock", "unittest.mock") or module.startswith(("mock.", "unittest.mock."))


def is_env_file(path: str) -> bool:
    """``.env``-style files (templates such as ``.env.example`` aside), anywhere in the tree."""
    parts = path.split("/")
    return any(p.startswith(".env") for p in parts[:-1]) or (
        parts[-1].startswith(".env") and not parts[-1].endswith(_ENV_TEMPLATES)
    )


def _secret_by_name(path: str, data: bytes) -> str | None:
    name = posixpath.basename(path).lower()
    if _KEY_FILES.match(name) and not name.endswith(".pub"):
        return "private key file"
    # Certificate bundles (CA files) are public; only a key inside makes these secret.
    if _KEY_FILES_UNLESS_PUBLIC.match(name) and (
        b"PRIVATE KEY" in data or b"-----BEGIN " not in data
    ):
        return "private key file"
    if _CREDENTIAL_FILES.match(name):
        return "credentials file"
    return None


class _SecretScan:
    """detect-secrets over many files: in this process for a few, in ``jobs`` processes for many."""

    def __init__(self, jobs: int) -> None:
        self._jobs = jobs
        self._chunks: list[list[tuple[str, str, str]]] = [[]]
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[tuple[list[tuple[str, str, str]], Future[list[list[str]]]]] = []

    def __enter__(self) -> _SecretScan:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def add(self, key: str, path: str, text: str) -> None:
        """Queue one text file."""
        self._chunks[-1].append((key, path, text))
        if len(self._chunks[-1]) < _CHUNK:
            return
        self._chunks.append([])
        if self._pool is None and self._jobs > 1 and len(self._chunks) > _POOL_AFTER:
            # Spawning workers costs a few hundred milliseconds: only worth it for many files.
            self._pool = ProcessPoolExecutor(self._jobs, mp_context=get_context("spawn"))
        if self._pool is not None:
            for chunk in filter(None, self._chunks):
                files = [(path, text) for _, path, text in chunk]
                self._futures.append((chunk, self._pool.submit(scan_secrets, files)))
            self._chunks = [[]]

    def results(self) -> dict[str, tuple[str, list[str]]]:
        """Key -> (path, findings) of every queued file."""
        done = [(chunk, future.result()) for chunk, future in self._futures]
        done += [
            (chunk, scan_secrets([(path, text) for _, path, text in chunk]))
            for chunk in filter(None, self._chunks)
        ]
        return {
            key: (path, items)
            for chunk, found in done
            for (key, path, _), items in zip(chunk, found, strict=True)
        }


def scan_secrets(files: list[tuple[str, str]]) -> list[list[str]]:
    """detect-secrets' findings per ``(path, text)`` file, as ``path:line (kind) hash`` (the
    secret's SHA-1, which .secrets.baseline lists), never values."""
    from detect_secrets.settings import default_settings, get_plugins

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
        from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector
        from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
        from detect_secrets.plugins.keyword import DENYLIST_REGEX, KeywordDetector

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
    from detect_secrets.core.scan import _is_filtered_out, _scan_line
    from detect_secrets.util.code_snippet import get_code_snippet

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


def _leaves_repo(path: str, target: str) -> bool:
    if posixpath.isabs(target):
        return True
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    return resolved == ".." or resolved.startswith("../")


def _listing(items: list[str]) -> str:
    shown = "; ".join(items[:_SHOWN])
    rest = len(items) - _SHOWN
    return f"{shown}; … and {rest} more" if rest > 0 else shown
