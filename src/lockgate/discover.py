"""Features: concrete classes matching a feature table, found by a static AST scan."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping

from lockgate.config import Config
from lockgate.facts import FileFacts
from lockgate.model import Feature


def _under(path: str, target: str) -> bool:
    target = target.strip("/")
    return target in (".", "") or path == target or path.startswith(target + "/")


def matches(name: str, patterns: list[str]) -> bool:
    """True when ``name`` matches one of the fnmatch ``patterns``."""
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def discover(
    config: Config, files: list[str], module_of: Mapping[str, str], facts: Mapping[str, FileFacts]
) -> list[Feature]:
    """Every feature, in file order; a class claimed by two tables goes to the first."""
    features: dict[str, Feature] = {}
    for table in config.features:
        for path in files:
            if not any(_under(path, target) for target in table.paths):
                continue
            module = module_of.get(path)
            if module is None:
                continue
            for cls in facts[path].classes:
                if cls.abstract or not matches(cls.name, table.classes):
                    continue
                fid = f"{module}.{cls.name}"
                features.setdefault(
                    fid,
                    Feature(fid, cls.name, table.kind, module, path, cls.line,
                            matches(cls.name, table.internal)),
                )
    return sorted(features.values(), key=lambda f: (f.path, f.line))
