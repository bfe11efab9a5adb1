"""``[tool.lockgate]`` models and loading; every mistake is one line naming the file and key."""

from __future__ import annotations

import glob
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lockgate.errors import LockgateError
from lockgate.execution.child import arguments
from lockgate.execution.dask_address import parse_executor
from lockgate.plainfiles import read_regular

Severity = Literal["error", "warning", "off"]
_REGISTRY = re.compile(
    r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(:[A-Za-z_]\w*(?P<arguments>\(.*\))?)?$", re.S
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class FeatureKind(_Strict):
    """One ``[[tool.lockgate.features]]`` table."""

    kind: str = Field(min_length=1)
    paths: list[str] = Field(min_length=1)
    classes: list[str] = Field(default_factory=lambda: ["*"], min_length=1)
    internal: list[str] = Field(default_factory=list)
    allow_empty: bool = False  # a table that discovers nothing is an error unless it says so
    exclude: list[str] = Field(default_factory=list)  # class-name patterns that are no features


class Docs(_Strict):
    guides: list[str] = Field(default_factory=lambda: ["docs/guides/{kebab}.md"])
    min_chars: int = Field(default=200, ge=0)
    placeholders: list[str] = Field(default_factory=lambda: ["TODO", "TBD"])
    docstring: bool = True  # the class must have a docstring
    mention: bool = False  # the guide must name the class as a word

    @field_validator("guides")
    @classmethod
    def _known_placeholders(cls, guides: list[str]) -> list[str]:
        sample = {"name": "N", "snake": "s", "kebab": "k", "kind": "t", "module": "m"}
        for guide in guides:
            try:
                guide.format(**sample)
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(
                    f"{guide!r} uses an unknown placeholder {exc}; "
                    "use {name} {snake} {kebab} {kind} {module}"
                ) from None
        return guides


class Wiring(_Strict):
    entry_modules: list[str] = Field(default_factory=list)
    maps: list[str] = Field(default_factory=list)
    # plugins loaded by name: "module" to import, "module:callable" to import and call with
    # no arguments, "module:callable(args)" with literal or dotted-name arguments
    # (execution/child/arguments.py); a feature whose module that run imported is wired
    # (layers/wired.py)
    registries: list[str] = Field(default_factory=list)

    @field_validator("registries")
    @classmethod
    def _registry_form(cls, registries: list[str]) -> list[str]:
        for registry in registries:
            form = _REGISTRY.match(registry)
            if not form:
                raise ValueError(
                    f"{registry!r} must be 'module', 'module:callable' or "
                    "'module:callable(arguments)' (a dotted module name, one callable name, "
                    "arguments that are literals or dotted names)"
                )
            if form["arguments"]:
                try:
                    arguments.check(form["arguments"])
                except ValueError as exc:
                    raise ValueError(f"{registry!r}: {exc}") from None
        return registries


class Weights(_Strict):
    discovered: int = Field(default=17, ge=0)
    imported: int = Field(default=17, ge=0)
    instantiated: int = Field(default=16, ge=0)
    documented: int = Field(default=17, ge=0)
    tested: int = Field(default=17, ge=0)
    wired: int = Field(default=16, ge=0)
    optimized: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _not_all_zero(self) -> Weights:
        if sum(v for v in self.model_dump().values() if v) == 0:
            raise ValueError("weights must not all be zero")
        return self


class Performance(_Strict):
    budget_ms: float = Field(default=500, gt=0)
    budget_mb: float = Field(default=100, gt=0)
    ttl: int = Field(default=3600, ge=0)


class Deploy(_Strict):
    branch: str = Field(default="lockgate/deploy", min_length=1)
    exclude: list[str] = Field(default_factory=lambda: ["tests/**"])
    version_files: list[str] = Field(
        default_factory=lambda: ["VERSION", "pyproject.toml", "package.json"]
    )


class Gates(_Strict):
    integration: Severity = "error"
    tests: Severity = "error"
    version: Severity = "error"
    purity: Severity = "error"
    mocks: Severity = "warning"
    closure: Severity = "error"
    # an audit (--audit, ``audit``) found a stored result wrong: "error" fails align and
    # blocks a deploy, "warning" reports it; the fresh verdict is used either way
    audit: Severity = "error"


ExemptLayer = Literal[
    "discovered", "imported", "instantiated", "documented", "tested", "wired", "optimized"
]


class Exempt(_Strict):
    """One ``[[tool.lockgate.exempt]]`` table: a layer of a feature that does not block until
    a date (see policy/exemptions.py)."""

    feature: str = Field(min_length=1)  # id, class name or fnmatch pattern on the id
    layer: ExemptLayer
    until: date
    reason: str = Field(min_length=1)

    @field_validator("until", mode="before")
    @classmethod
    def _a_date(cls, value: object) -> object:
        # TOML writes a date bare (2027-03-31) or, often by habit, quoted: both are accepted
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise ValueError("must be a date such as 2027-03-31") from None
        if not isinstance(value, date) or hasattr(value, "hour"):
            raise ValueError("must be a date such as 2027-03-31")
        return value


class Remote(_Strict):
    url: str | None = Field(default=None, min_length=1)  # LOCKGATE_REMOTE and --remote win
    read_only: bool = False
    # see lockgate.remote.trust: the scope this run writes (LOCKGATE_REMOTE_SCOPE wins), the
    # protected scopes it reads after its own, and the Ed25519 keys that sign those
    scope: str | None = Field(default=None, min_length=1)
    trusted_scopes: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    public_keys: list[str] = Field(default_factory=list)


class Config(_Strict):
    """The whole ``[tool.lockgate]`` table."""

    src: list[str] = Field(default_factory=lambda: ["src"])
    tests: list[str] = Field(default_factory=lambda: ["tests"])
    tests_exclude: list[str] = Field(default_factory=list)  # globs on test file paths
    threshold: int = Field(default=95, ge=0, le=100)
    # what the integration gate judges: every feature ("all"), or only what is new or dropped
    # since the merge-base with the default branch (policy/newcode.py); `--since REF` wins
    gate: Literal["all", "new-code"] = "all"
    # align exits 1 when a non-internal feature scores under it, as `--fail-under` (which wins)
    fail_under: int | None = Field(default=None, ge=0, le=100)
    coverage: float = Field(default=70, ge=0, le=100)
    # what a tested result is keyed on beyond its own test files and module: the blocks its run
    # executed in every file it loaded ("blocks"), or every file of the static closures whole
    keys: Literal["blocks", "files"] = "blocks"
    timeout: float = Field(default=30, gt=0)
    # a failing test file is run again up to this many times; a pass on a retry is flaky
    retries: int = Field(default=0, ge=0)
    # seconds after which a stored load-dependent failure (a timeout) is run again
    retry_load_dependent_after: float = Field(default=86400, ge=0)
    # the share of the results runs would serve that they run again to check them, gathered
    # into a few due runs per window of ceil(1/audit) runs (audit mode, keys/audit_window.py);
    # `--audit` wins
    audit: float = Field(default=0, ge=0, le=1)
    # test-file glob -> seconds one test file may take (the longest matching glob wins)
    timeouts: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)
    # feature id or fnmatch pattern -> extra test files (globs) that test it
    owners: dict[str, list[str]] = Field(default_factory=dict)
    # which test files judge a feature beyond what the tree shows (keys.owners): none ("tree"),
    # those whose own code imports its module at run time ("imports"), and for a feature that
    # no test file imports, those that run its code ("run")
    test_owners: Literal["run", "imports", "tree"] = "run"
    inputs: list[str] = Field(default_factory=list)
    env: list[str] = Field(default_factory=list)
    features: list[FeatureKind] = Field(min_length=1)
    docs: Docs = Field(default_factory=Docs)
    wiring: Wiring = Field(default_factory=Wiring)
    instantiate: dict[str, str] = Field(default_factory=dict)
    weights: Weights = Field(default_factory=Weights)
    performance: Performance = Field(default_factory=Performance)
    deploy: Deploy = Field(default_factory=Deploy)
    gates: Gates = Field(default_factory=Gates)
    remote: Remote = Field(default_factory=Remote)
    exempt: list[Exempt] = Field(default_factory=list)
    # where imports and tests run: "local", or a Dask scheduler ("dask://HOST:PORT", plain TCP,
    # or "dask+tls://HOST:PORT"; execution/dask_pool.py); `--executor` wins
    executor: str = "local"
    # accept a plain-TCP scheduler that is not on loopback (`--executor-insecure`)
    executor_insecure: bool = False
    # run here, with a warning, when the scheduler cannot be reached (`--executor-fallback`)
    executor_fallback: bool = False

    @field_validator("executor")
    @classmethod
    def _executor_form(cls, value: str) -> str:
        parse_executor(value)  # a ValueError says what is expected
        return value

    @field_validator("instantiate")
    @classmethod
    def _factory_form(cls, factories: dict[str, str]) -> dict[str, str]:
        for target, factory in factories.items():
            module, sep, attr = factory.partition(":")
            if not sep or not module or not attr:
                raise ValueError(
                    f"factory for {target!r} must be 'module:function', got {factory!r}"
                )
        return factories


class Loaded(BaseModel):
    """The configuration together with where it came from and the raw pyproject table."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    config: Config
    source: str  # file name the configuration was read from
    pyproject: dict[str, Any]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(read_regular(path).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise LockgateError(f"{path.name}: invalid TOML: not UTF-8 ({exc.reason})") from None
    except tomllib.TOMLDecodeError as exc:
        raise LockgateError(f"{path.name}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise LockgateError(f"{path.name}: cannot read: {exc.strerror}") from None


def key_name(source: str, *loc: int | str) -> str:
    """A key as messages name it: ``tool.lockgate.src[0]`` in pyproject.toml, ``src[0]`` in
    lockgate.toml."""
    return _location("tool.lockgate" if source == "pyproject.toml" else "", loc)


def code_paths(config: Config) -> list[tuple[tuple[int | str, ...], str]]:
    """``(key, path)`` of every configured folder of code: src and tests roots, feature paths."""
    out: list[tuple[tuple[int | str, ...], str]] = []
    out += [(("src", i), p) for i, p in enumerate(config.src)]
    out += [(("tests", i), p) for i, p in enumerate(config.tests)]
    for i, kind in enumerate(config.features):
        out += [(("features", i, "paths", j), p) for j, p in enumerate(kind.paths)]
    return out


def _location(prefix: str, loc: tuple[int | str, ...]) -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out.lstrip(".")


def _describe(error: ValidationError, source: str, prefix: str) -> str:
    first = error.errors()[0]
    where = _location(prefix, tuple(first["loc"]))
    kind = first["type"]
    if kind == "extra_forbidden":
        return f"{source}: unknown key {where}; remove it or check its spelling"
    if kind == "missing":
        return f"{source}: {where} is required"
    message = first["msg"].removeprefix("Value error, ")
    return f"{source}: {where}: {message} (got {first.get('input')!r})"


def load(root: Path) -> Loaded:
    """Read the configuration of the project at ``root``; raise LockgateError on any mistake."""
    pyproject_path = root / "pyproject.toml"
    pyproject = _read_toml(pyproject_path) if pyproject_path.is_file() else {}
    if not isinstance(pyproject.get("tool", {}), dict):
        raise LockgateError("pyproject.toml: tool must be a table")
    standalone = root / "lockgate.toml"
    if standalone.is_file():
        table, source, prefix = _read_toml(standalone), "lockgate.toml", ""
    elif "lockgate" in pyproject.get("tool", {}):
        table, source, prefix = pyproject["tool"]["lockgate"], "pyproject.toml", "tool.lockgate"
    else:
        raise LockgateError(
            f"{root}: no [tool.lockgate] table in pyproject.toml and no lockgate.toml; "
            "add one with at least one [[tool.lockgate.features]] table"
        )
    if not isinstance(table, dict):
        raise LockgateError(f"{source}: {prefix or 'top level'} must be a table")
    try:
        config = Config.model_validate(table)
    except ValidationError as exc:
        raise LockgateError(_describe(exc, source, prefix)) from None
    _check_folders(root, config, source, prefix)
    return Loaded(config=config, source=source, pyproject=pyproject)


def _check_folders(root: Path, config: Config, source: str, prefix: str) -> None:
    real_root = root.resolve()

    def fail(loc: tuple[int | str, ...], message: str) -> LockgateError:
        return LockgateError(f"{source}: {_location(prefix, loc)}: {message}")

    # Every path lockgate reads or imports from must be a path it keys, inside the root:
    # after symlinks and ``..`` are resolved, absolute paths included.
    for loc, value in _configured_files(config):
        if not (root / value).resolve().is_relative_to(real_root):
            raise fail(loc, f"{value!r} resolves outside the project root")
    for loc, path in code_paths(config):
        if loc[0] == "tests" and glob.has_magic(path):
            if not glob.glob(path, root_dir=root, recursive=True):
                raise fail(loc, f"{path!r} matches no file under {root}")
        elif loc[0] in ("features", "tests"):  # a test entry may name a file
            if not (root / path).exists():
                raise fail(loc, f"{path!r} does not exist under {root}")
        elif not (root / path).is_dir():
            raise fail(loc, f"folder {path!r} does not exist under {root}")


def _configured_files(config: Config) -> list[tuple[tuple[int | str, ...], str]]:
    """``(key, path)`` of every configured path; guide templates filled in for every kind."""
    out = code_paths(config)
    for i, guide in enumerate(config.docs.guides):
        for kind in dict.fromkeys(k.kind for k in config.features):
            sample = {"name": "N", "snake": "s", "kebab": "k", "kind": kind, "module": "m"}
            out.append((("docs", "guides", i), guide.format(**sample)))
    out += [(("wiring", "maps", i), p) for i, p in enumerate(config.wiring.maps)]
    out += [(("inputs", i), p) for i, p in enumerate(config.inputs)]
    out += [(("deploy", "version_files", i), p) for i, p in enumerate(config.deploy.version_files)]
    return out
