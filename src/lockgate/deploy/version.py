"""The version a project declares: which files say it, and what each one says."""

from __future__ import annotations

import ast
import configparser
import json
import posixpath
import tomllib
import warnings
from collections.abc import Iterable

from lockgate.project.config import Config

__all__ = ["parse_module", "read_version", "version_paths"]


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
    tree = parse_module(source)
    for node in tree.body if tree else []:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            named = any(isinstance(t, ast.Name) and t.id == "__version__" for t in targets)
            if named and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return node.value.value
    return None


def parse_module(source: bytes) -> ast.Module | None:
    """The syntax tree of a Python file that would ship; None when it does not parse."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes etc. are not ours to report
        try:
            return ast.parse(source)
        except (SyntaxError, ValueError):
            return None  # the imported layer reports broken modules
