"""discovered: a concrete class matches a feature table; a file that cannot be read fails."""

from __future__ import annotations

import ast
import os

from lockgate.layers.base import CLI, Context, Inputs
from lockgate.layers.scoring import score, status
from lockgate.model import Feature, FeatureResult, LayerResult
from lockgate.plainfiles import open_regular
from lockgate.project.discover import broken_files

NAME = "discovered"
VERSION = 1
RUNS_IN = CLI  # judged from the parsed files


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
    try:
        os.close(open_regular(full))
    except FileNotFoundError:
        if os.path.islink(full):
            return f"dangling symlink to {os.readlink(full)!r}"
        return "it was removed while lockgate read it"
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
    except (SyntaxError, ValueError) as exc:
        kind = type(exc).__name__
        line = exc.lineno if isinstance(exc, SyntaxError) else None
        message = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        if not line and b"\0" in data:  # the parser names no line for a NUL byte: its offset does
            line = data[: data.index(b"\0")].count(b"\n") + 1
        return line or 1, f"cannot parse {path}:{line or 1}: {kind}: {message}"
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
            kind=config.features[table].kind if table is not None else "file",
            module=ctx.project.module_of.get(path, ""),
            path=path,
            line=line,
            internal=False,  # its classes are unknown, so it is gated
            broken=True,
        )
        verdict = "cannot be read" if reason.startswith("cannot read") else "does not parse"
        judged = {
            layer: LayerResult(
                False,
                reason if layer == NAME else f"not judged: {path} {verdict}",
                0.0,
                reason=f"{path} {verdict}: such a file is judged again on every full run",
            )
            for layer in layers
        }
        value = score(judged, config.weights)
        rows.append(FeatureResult(feature, judged, value, status(value)))
    return sorted(rows, key=lambda r: (r.feature.path, r.feature.line))
