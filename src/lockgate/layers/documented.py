"""documented: a class docstring (``docs.docstring``) and a finished guide of at least
``min_chars`` that (with ``docs.mention``) names the class."""

from __future__ import annotations

import re

from lockgate.layers.base import CLI, Context, Inputs
from lockgate.model import Feature
from lockgate.project.names import kebab, snake

NAME = "documented"
VERSION = 1
RUNS_IN = CLI  # judged from the guide files


def guide_paths(ctx: Context, feature: Feature) -> list[str]:
    """The guide files the templates name for ``feature``."""
    return guides_of(ctx.project.config.docs.guides, feature)


def guides_of(templates: list[str], feature: Feature) -> list[str]:
    """The guide files ``templates`` name for ``feature``."""
    values = {
        "name": feature.name,
        "snake": snake(feature.name),
        "kebab": kebab(feature.name),
        "kind": feature.kind,
        "module": feature.module.rpartition(".")[2],
    }
    return [t.format(**values) for t in templates]


def inputs(ctx: Context, feature: Feature) -> Inputs:
    """The feature's file (its docstring) and every guide file, present or absent."""
    files = frozenset({feature.path, *guide_paths(ctx, feature)})
    config = {"feature": feature.id, "docs": ctx.project.config.docs.model_dump()}
    return Inputs((files,), config)


def _guide_problem(ctx: Context, feature: Feature, path: str) -> str:
    data = ctx.hasher.read(path) if ctx.hasher.hash(path) else None
    if data is None:
        return f"no guide: {path}"
    text = data.decode("utf-8", errors="replace").strip()
    docs = ctx.project.config.docs
    if len(text) < docs.min_chars:
        return f"guide {path} has {len(text)} characters (needs {docs.min_chars})"
    for marker in docs.placeholders:
        if marker in text:
            return f"guide {path} is unfinished: it contains {marker!r}"
    # A guide shared by many features must say something about this one: its name as a word
    # (`.. class:: Name`, `.. autoclass:: pkg.mod.Name`, or prose), not a longer identifier.
    if docs.mention and not re.search(rf"(?<!\w){re.escape(feature.name)}(?!\w)", text):
        return f"guide {path} does not mention {feature.name}"
    return ""


def judge(ctx: Context, feature: Feature) -> tuple[bool, str]:
    """Pass when the class has a docstring (unless ``docs.docstring`` is false) and one guide
    is long enough, finished and (with ``docs.mention``) names the class."""
    docstring = next(
        (c.docstring for c in ctx.facts[feature.path].classes if c.name == feature.name), ""
    )
    wanted = ctx.project.config.docs.docstring
    problems = [] if docstring.strip() or not wanted else ["no class docstring"]
    guides = guide_paths(ctx, feature)
    found = [_guide_problem(ctx, feature, g) for g in guides]
    if guides and all(found):
        problems.append(found[0] if len(found) == 1 else "; ".join(found))
    if problems:
        return False, "; ".join(problems)
    good = next(g for g, p in zip(guides, found, strict=True) if not p) if guides else ""
    return True, good
