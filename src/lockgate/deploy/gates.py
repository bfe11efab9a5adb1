"""The deploy gates as data: what each one found, how severe it is, and whether it blocks.

The integration and tests gates judge an :class:`~lockgate.model.AlignResult`; the version,
purity and mocks gates judge the files that would ship, through an :class:`Evidence` that the
package gathers in one pass over their blobs (see
:mod:`lockgate.deploy.package.inspect`).
"""

from __future__ import annotations

import ast
import os
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from lockgate.deploy.baseline import Baseline
from lockgate.deploy.secrets import SecretScan, secret_by_name, secret_key, sift
from lockgate.deploy.version import parse_module, read_version
from lockgate.git import SYMLINK
from lockgate.model import LAYERS, AlignResult, Audit
from lockgate.policy import newcode
from lockgate.policy.newcode import Since
from lockgate.project.config import Config, Gates
from lockgate.words import counted, plural

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
    "counts_failure",
    "examine",
    "is_env_file",
    "is_test_failure",
    "run_gates",
]


GATES: tuple[str, ...] = ("integration", "tests", "version", "purity", "mocks", "closure")
LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
_SHOWN = 20  # items listed in one detail before "… and N more"
_ENV_TEMPLATES = (".example", ".sample", ".template", ".dist")
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
    # … and the paths that never ship by design (tests, conftest.py), validated all the same …
    dev_only: Callable[[str], bool] = lambda _path: False
    # … and the shipped files the work tree validation ran on lacks or holds otherwise, and why
    unseen: list[str] = field(default_factory=list)
    # … and shipped path → the hash of the work-tree bytes git converts into the shipped blob
    # (line endings, clean filters): validation saw those bytes, and they are what ships
    converted: dict[str, str] = field(default_factory=dict)
    # … and the shipped .py files that do not parse or import what the package cannot
    imports: list[str] = field(default_factory=list)


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
    with SecretScan(jobs) as scan:
        for path, mode, blob, data in files:
            if gates.purity != "off" and _examine_purity(path, mode, data, evidence, found):
                key = secret_key(path, blob)
                if known is not None and key in known:
                    found[path] = known[key]
                else:
                    found[path] = []  # keeps the file's place; filled below
                    scan.add(key, path, data.decode("utf-8", errors="replace"), blob)
            if gates.mocks != "off" and mode != SYMLINK and path.endswith(".py"):
                evidence.mocks.extend(_mock_imports(path, data))
        evidence.scanned = scan.results()
    for path, items in evidence.scanned.values():
        found[path] = items
    evidence.secrets, evidence.allowed = sift(found, baseline)
    return evidence


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
    kind = secret_by_name(path, data)
    if kind:
        found[path] = [f"{path} ({kind})"]
        return False
    return b"\0" not in data[:8192]  # binary: detect-secrets reads text files only


def run_gates(
    result: AlignResult, config: Config, evidence: Evidence, since: Since | None = None
) -> list[GateResult]:
    """Every gate, in the order of DESIGN.md; a gate set to ``off`` passes with detail "off".
    With ``since`` the integration gate judges new code only (policy/newcode.py)."""
    severity = config.gates.model_dump()
    verdicts = {
        "integration": lambda: (
            check_integration(result, config.threshold)
            if since is None
            else newcode.check(result, config.threshold, since)
        ),
        "tests": lambda: check_tests(result),
        "version": lambda: check_version(evidence, config.deploy.version_files),
        "purity": lambda: check_purity(evidence),
        "mocks": lambda: check_mocks(evidence),
        "closure": lambda: check_closure(result.inputs, evidence, result.moved, result.loaded),
    }
    out = []
    for name in GATES:
        if severity[name] == "off":
            out.append(GateResult(name, True, "off", "off"))
            continue
        passed, detail = verdicts[name]()
        out.append(GateResult(name, passed, severity[name], detail))
    if result.audit is not None and severity["audit"] != "off":
        # only a deploy that audited has this gate: others' gates are as they were
        passed, detail = check_audit(result.audit)
        out.append(GateResult("audit", passed, severity["audit"], detail))
    return out


def check_audit(audit: Audit) -> tuple[bool, str]:
    """No stored result that the audit ran again was wrong."""
    if audit.part is None:
        return True, (
            f"not due (seed {audit.seed}): run {audit.next_due} audits next, and every served "
            f"result is audited within {audit.window} runs"
        )
    wrong = [f"{m.owner} ({m.layer})" for m in audit.mismatches]
    sampled = counted(audit.sampled, "stored result")
    if not wrong:
        return True, f"{sampled} run again (seed {audit.seed}): every one held"
    return False, f"{sampled} run again (seed {audit.seed}); wrong: {', '.join(wrong)}"


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
        exempt = tested is not None and tested.exemption is not None and tested.exemption.active
        if tested is not None and not exempt and is_test_failure(tested.passed, tested.detail):
            failures.append(f"{f.feature.id}: {tested.detail}")
    failures += [f"{s.path}: {s.detail}" for s in result.suite if not s.passed]
    if failures:
        return False, _listing(failures)
    judged = sum("tested" in f.layers for f in result.features)
    features = counted(judged, "feature's", "features'")
    return True, f"{features} tests and {counted(len(result.suite), 'other test file')} pass"


def counts_failure(
    config: Config, layer: str, internal: bool, passed: bool, detail: str, suite: bool = False
) -> bool:
    """Whether a failed result would block a deploy: the tests gate counts a test file of no
    feature (``suite``) and a tested layer whose tests failed; the integration gate counts every
    scored layer of a feature that is not internal. Only gates of severity ``error`` block."""
    if passed:
        return False
    gates = config.gates
    tests_failed = suite or (layer == "tested" and is_test_failure(passed, detail))
    if gates.tests == "error" and tests_failed:
        return True
    scored = (*LAYERS, "optimized") if config.weights.optimized is not None else LAYERS
    return gates.integration == "error" and not suite and not internal and layer in scored


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


def check_closure(
    inputs: Mapping[str, str | None],
    evidence: Evidence,
    moved: Iterable[str] = (),
    loaded: Iterable[str] | None = None,
) -> tuple[bool, str]:
    """Every file validation depended on ships as validated, none it saw absent ships, and
    every shipped file is in the work tree validation ran on as it ships.

    Files that never ship by design (tests, conftest.py) are exempt; ``deploy.exclude`` is not:
    a module a feature imports must ship, whoever excluded it.
    """
    # A result validated on bytes that changed under it describes neither version: it was not
    # stored, and it is not counted here either; the next deploy validates the file afresh.
    problems = [
        f"{path} changed while lockgate validated it: the results that read it are not "
        "counted; deploy again once nothing edits it"
        for path in moved
    ]
    runs = None if loaded is None else frozenset(loaded)
    only_validation = 0  # validated files that do not ship and that the shipped code never loads
    for path, validated in inputs.items():
        if path in evidence.shipped:
            shipped = evidence.shipped[path]
            if validated is None:
                problems.append(f"{path} was absent when validated but ships")
            elif validated not in (shipped, evidence.converted.get(path)):
                problems.append(f"{path} ships with other content than was validated")
        elif validated is not None and not evidence.dev_only(path):
            if runs is not None and path not in runs:
                only_validation += 1  # a guide, a factory, test support: not what ships runs
                continue
            kind = (
                ""  # not known (an older build's record): it counts all the same
                if runs is None
                else ", and the shipped code loads it (importing, finding or wiring a feature "
                "depends on it)"
            )
            problems.append(
                f"{path} was validated but does not ship (untracked, ignored or excluded){kind}"
            )
    problems += evidence.unseen + evidence.imports
    if problems:
        return False, _listing(problems)
    depended = sum(v is not None for v in inputs.values()) - only_validation
    detail = (
        f"all {counted(depended, 'file')} validation depended on "
        f"{plural(depended, 'ships', 'ship')} as validated"
    )
    if only_validation:
        detail += (
            f"; {counted(only_validation, 'file')} only validation reads (guides, factories, "
            "test support) stay out"
        )
    return True, detail


def check_mocks(evidence: Evidence) -> tuple[bool, str]:
    """No production module imports ``unittest.mock`` or ``mock``."""
    if evidence.mocks:
        return False, _listing(evidence.mocks)
    return True, "no production module imports mock"


def _mock_imports(path: str, source: bytes) -> list[str]:
    if b"mock" not in source:
        return []  # every form of the import names it: no need to parse
    tree = parse_module(source)
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


def _leaves_repo(path: str, target: str) -> bool:
    if posixpath.isabs(target):
        return True
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    return resolved == ".." or resolved.startswith("../")


def _listing(items: list[str]) -> str:
    shown = "; ".join(items[:_SHOWN])
    rest = len(items) - _SHOWN
    return f"{shown}; … and {rest} more" if rest > 0 else shown
