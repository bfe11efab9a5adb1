"""discovered: a concrete class matches a feature table; a file that cannot be read fails."""

from __future__ import annotations

import ast
import os

from lockgate.discover import broken_files
from lockgate.layers.base import Context, Inputs
from lockgate.model import Feature, FeatureResult, LayerResult
from lockgate.scoring import score, status

NAME = "discovered"
VERSION = 1


def inputs(ctx: Context, feature: Feature) -> Inputs:
    """The feature's own file and the feature tables."""
    tables = [t.model_dump() for t in ctx.project.config.features]
    return Inputs((frozenset({feature.path}),), {"feature": feature.id, "tables": tables})


def judge(ctx: Context, feature: Feature) -> tuple[bool, str]:
    """A discovered feature passes by being found: the scan ran on the inputs keyed above."""
    return True, f"{feature.path}:{feature.line}"


def _unreadable(ctx: Context, path: str) -> str:
    """Why ``path`` cannot be read, asked again of the file system (the rare path)."""
    full = os.path.join(ctx.project.root, path)
    if os.path.islink(full) and not os.path.exists(full):
        return f"dangling symlink to {os.readlink(full)!r}"
    try:
        with open(full, "rb"):
            pass
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return "it changed while lockgate read it"


def problem(ctx: Context, path: str) -> tuple[int, str]:
    """The line and the reason why ``path`` cannot be read or parsed."""
    data = ctx.hasher.read(path)
    if data is None:
        return 1, f"cannot read {path}: {_unreadable(ctx, path)}"
    try:
        ast.parse(data)
    except SyntaxError as exc:
        return exc.lineno or 1, f"cannot parse {path}:{exc.lineno or 1}: SyntaxError: {exc.msg}"
    except ValueError as exc:  # a NUL byte: the parser names no line, its offset does
        line = data[: data.find(b"\0")].count(b"\n") + 1 if b"\0" in data else 1
        return line, f"cannot parse {path}:{line}: ValueError: {exc}"
    return 1, f"cannot parse {path}: {ctx.facts[path].error}"


def with_broken(
    ctx: Context, results: list[FeatureResult], layers: tuple[str, ...]
) -> list[FeatureResult]:
    """``results`` and a failed row for every file under a feature table's paths that cannot
    be read or parsed, in file order: what lockgate cannot judge fails, naming the file."""
    config = ctx.project.config
    broken = broken_files(config, ctx.project.python_files, ctx.facts)
    if not broken:
        return results
    rows = list(results)
    for path, table in broken.items():
        line, reason = problem(ctx, path)
        feature = Feature(
            id=path,
            name=path.rpartition("/")[2],
            kind=config.features[table].kind,
            module=ctx.project.module_of.get(path, ""),
            path=path,
            line=line,
            internal=False,  # its classes are unknown, so it is gated
            broken=True,
        )
        verdict = "cannot be read" if reason.startswith("cannot read") else "does not parse"
        judged = {
            layer: LayerResult(
                False, reason if layer == NAME else f"not judged: {path} {verdict}", 0.0
            )
            for layer in layers
        }
        value = score(judged, config.weights)
        rows.append(FeatureResult(feature, judged, value, status(value)))
    return sorted(rows, key=lambda r: (r.feature.path, r.feature.line))
