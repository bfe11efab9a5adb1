"""The values that flow through the pipeline: features, layer results, scored results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

LAYERS: tuple[str, ...] = (
    "discovered",
    "imported",
    "instantiated",
    "documented",
    "tested",
    "wired",
)


@dataclass(frozen=True)
class Feature:
    """A concrete class found in a configured feature folder."""

    id: str  # module.Class
    name: str
    kind: str
    module: str  # dotted module name
    path: str  # posix path relative to the project root
    line: int
    internal: bool
    broken: bool = False  # a file under a feature table's paths that cannot be read or parsed


@dataclass(frozen=True)
class Exemption:
    """An exemption (``[[tool.lockgate.exempt]]``) as a failed layer shows it: until when, why,
    and whether it still holds on the run's date."""

    until: date
    reason: str
    active: bool

    def describe(self) -> str:
        """``exempt until 2027-03-31`` or ``exemption lapsed on 2027-03-31``."""
        if self.active:
            return f"exempt until {self.until.isoformat()}"
        return f"exemption lapsed on {self.until.isoformat()}"


@dataclass
class LayerResult:
    """One layer's verdict for one feature."""

    passed: bool
    detail: str
    seconds: float
    cached: bool = False
    expires: float | None = None  # for results that go stale with time (performance, load)
    keep: bool = True  # False for verdicts that must not be stored (a test read an unshipped file)
    unkept: str | None = None  # why it is not stored, when ``keep`` is False for a known cause
    reason: str | None = None  # why it re-ran (None when reused)
    # a failure that depends on the machine's load (a timeout, a lost process): stored, served
    # under its key, and run again once ``retry_load_dependent_after`` has passed
    load_dependent: bool = False
    flaky: bool = False  # passed only on a retry (``retries``)
    audit_mismatch: bool = False  # an audit ran it again and it contradicted the stored result
    # set on a failed layer an exemption names (policy/exemptions.py): never stored
    exemption: Exemption | None = None


@dataclass
class Performance:
    """The optimized layer's measurements, shown apart from the integration score by default."""

    score: int
    passed: bool
    import_ms: float | None
    instantiate_ms: float | None
    peak_mb: float | None
    cached: bool
    expires: float | None
    detail: str


@dataclass
class FeatureResult:
    """A feature with every layer's verdict and its score."""

    feature: Feature
    layers: dict[str, LayerResult]
    score: int
    status: str
    performance: Performance | None = None
    owners: tuple[str, ...] = ()  # from CODEOWNERS (policy/codeowners.py); never stored


@dataclass
class SuiteResult:
    """The verdict of test files that belong to no feature (used by the tests gate)."""

    path: str
    passed: bool
    detail: str
    cached: bool
    seconds: float = 0.0
    load_dependent: bool = False
    flaky: bool = False
    expires: float | None = None


@dataclass(frozen=True)
class Write:
    """Something a test or import process changed in the tree it ran in (its sandbox), outside
    its temporary folders: the repository itself would have been changed."""

    path: str  # project-relative; absolute outside the project; a ref name (refs/...) for git
    change: str  # created, modified, removed, replaced by a symlink
    by: tuple[str, ...]  # the test files (or modules) that process ran
    # True when the work tree itself changed while the run's processes ran (``by`` is then
    # every test file and module they ran): a write that left the sandbox
    repository: bool = False


@dataclass
class Mismatch:
    """A served result that an audit ran again and that its fresh run contradicted: what was
    stored, what the run found, and the inputs its key and extras recorded."""

    owner: str  # feature id, or a test file of no feature
    layer: str
    key: str
    stored: LayerResult
    fresh: LayerResult
    inputs: list[str]


@dataclass
class Audit:
    """One run's audit (``--audit``): the share asked for, the seed, how many served results
    it ran again and the mismatches it found; which runs audit (keys/audit_window.py)."""

    fraction: float
    seed: int
    window: int  # every served result is audited within this many consecutive runs
    parts: int  # the runs of a window that audit, each a part of the served results
    part: int | None  # the part this run audits; None when it audits nothing (not due)
    next_due: int  # the number of the next run that audits
    sampled: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    blocking: bool = True  # a mismatch fails the run (``gates.audit`` is "error")


@dataclass
class AlignResult:
    """Everything one align produced."""

    root: str
    threshold: int
    features: list[FeatureResult]
    orphans: list[str]
    hits: int
    misses: int
    seconds: float
    suite: list[SuiteResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Every project file any result depends on (static inputs and files loaded at run time)
    # → its content hash as validated, None when it was absent: the deploy's closure check.
    inputs: dict[str, str | None] = field(default_factory=dict)
    fail_under: int | None = None  # the configured ``fail_under``; ``--fail-under`` overrides it
    remote_hits: int = 0  # of ``hits``, how many the remote store served
    remote_errors: int = 0  # remote entries refused and remote calls that failed
    shard: tuple[int, int] | None = None  # (K, N) when this run validated only part K of N
    run_id: str | None = None  # --shard auto: the run whose queue this job took its part from
    writes: list[Write] = field(default_factory=list)  # what this run's processes wrote
    # Files that changed while results reading them were validated: those results were not
    # stored, and the deploy's closure gate does not count them (it blocks, naming the files).
    moved: list[str] = field(default_factory=list)
    # Of ``inputs``, those a result about the shipped code itself depends on (its import, its
    # discovery, its wiring): the rest only validation reads (guides, factories, tests), which
    # need not ship. None when unknown (a snapshot of an older build): every input counts.
    loaded: list[str] | None = None
    audit: Audit | None = None  # what ``--audit`` ran again and found; None without it

    @property
    def mean_score(self) -> float | None:
        """The features' mean score, as the run history records it; None without features."""
        scores = [r.score for r in self.features]
        return round(sum(scores) / len(scores), 1) if scores else None
