"""Child process of `testrun`: `python -m lockgate._pytest_child SPEC.json`.

Runs pytest on the spec's test files under coverage.py, streams progress lines for the parent's
watchdog, and writes the outcomes and per-context coverage as JSON to the spec's result path.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import coverage


def _plugin_guards() -> list[str]:
    """Options that keep other coverage/distribution plugins from taking over the run."""
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return []
    guards = []
    if importlib.util.find_spec("pytest_cov"):
        guards.append("--no-cov")  # a project's `--cov` addopts would replace our tracer
    if importlib.util.find_spec("xdist"):
        guards += ["-n", "0"]  # tests in xdist workers would be invisible to our coverage
    return guards


def _unreadable(path: Path, root: Path, exc: Exception) -> str:
    """Why coverage could not analyse ``path``, naming the file and line."""
    line = getattr(exc, "lineno", None)
    if line is None:  # coverage's encoding check names no line: find the first bad one
        with contextlib.suppress(OSError):
            for number, text in enumerate(path.read_bytes().splitlines(), 1):
                try:
                    text.decode("utf-8")
                except UnicodeDecodeError:
                    line = number
                    break
    where = path.relative_to(root).as_posix() + (f":{line}" if line else "")
    if isinstance(exc, SyntaxError) and "encoding" in str(exc.msg):
        return f"{where}: a byte that is not UTF-8 and no encoding declaration"
    return f"{where}: cannot be read as Python source: {type(exc).__name__}: {exc}"


def _blame(files: dict[str, dict[str, Any]], labels: Any, problem: str) -> None:
    """Give ``problem`` to the test files that ran the unreadable file (all, outside any)."""
    names = {label.partition(":")[2] for label in labels}
    for name in files if "" in labels else names & files.keys():
        files[name]["problem"] = files[name]["problem"] or problem


def _coverage_json(
    cov: coverage.Coverage,
    root: Path,
    modules: list[str] | None,
    files: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """Statements and lines per context of the measured files under root: every one, or (with
    ``modules``) those that ran any line plus ``modules``.

    Analysing a file parses it; coverage lists every unexecuted file under ``source`` too,
    which cost two seconds per run at 1,000 features for files nobody asked about. A file it
    cannot read (an undeclared non-UTF-8 byte on its first lines, which Python itself accepts
    in a comment) has no statements, and the test files that ran it get its problem in
    ``files``: only they depend on it.
    """
    data = cov.get_data()
    wanted = None if modules is None else {(root / m).resolve() for m in modules}
    result: dict[str, Any] = {}
    for measured in sorted(data.measured_files()):
        path = Path(measured)
        if not path.is_relative_to(root):
            continue
        if wanted is not None and path.resolve() not in wanted and not data.lines(measured):
            continue
        contexts: dict[str, list[int]] = defaultdict(list)
        for line, labels in (data.contexts_by_lineno(measured) or {}).items():
            for label in labels:
                contexts[label].append(line)
        try:
            statements = cov.analysis2(measured)[1]
        except coverage.exceptions.NoSource:
            continue  # deleted by a test: nothing to report
        except (coverage.exceptions.CoverageException, SyntaxError, ValueError) as exc:
            statements = []
            _blame(files, contexts.keys(), _unreadable(path, root, exc))
        result[path.relative_to(root).as_posix()] = {
            "statements": sorted(statements),
            "contexts": {label: sorted(lines) for label, lines in contexts.items()},
        }
    return result


def _folders(files: list[str]) -> list[str]:
    """The fewest folders that hold every file (the plugin ignores everything else in them)."""
    parents = sorted({str(Path(f).parent) for f in files})
    kept: list[str] = []
    for folder in parents:
        if not any(folder == k or folder.startswith(k.rstrip("/") + "/") or k == "." for k in kept):
            kept.append(folder)
    return kept


def main(spec_path: str) -> int:
    """Run the spec's tests under coverage and write the result file; 0 when it was written."""
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    root = Path(spec["root"])
    sys.path[:0] = spec["sys_path"]
    # Bytecode goes to PYTHONPYCACHEPREFIX (outside the project) or nowhere.
    sys.dont_write_bytecode = not sys.pycache_prefix
    # Coverage starts before pytest so conftest files and test modules are measured from line one.
    cov = coverage.Coverage(
        data_file=None,
        source=spec["source"],
        branch=False,
        config_file=False,
        omit=[str(Path(__file__).parent / "_pytest_*.py")],
    )
    cov.start()
    import pytest

    from lockgate._pytest_plugin import Plugin

    with open(spec["progress"], "a", encoding="utf-8") as progress:
        plugin = Plugin(cov, root, spec["files"], progress)
        args = [
            *_folders(spec["files"]),
            "-p",
            "no:cacheprovider",
            "--continue-on-collection-errors",
            "-q",
            "--rootdir",
            str(root),
            "--basetemp",
            spec["basetemp"],
            *_plugin_guards(),
        ]
        code = pytest.main(args, plugins=[plugin])
        cov.stop()
        progress.write(json.dumps({"event": "finishing", "file": None}) + "\n")
        progress.flush()
    files = plugin.outcomes()
    result = {
        "exit": int(code),
        "files": files,
        "coverage": _coverage_json(cov, root, spec.get("modules"), files),
    }
    tmp = spec["result"] + ".tmp"
    Path(tmp).write_text(json.dumps(result), encoding="utf-8")
    os.replace(tmp, spec["result"])
    return 0


if __name__ == "__main__":
    from lockgate.reaper import die_with_owner

    die_with_owner()  # a SIGKILLed lockgate takes this process group (tests' processes) along
    sys.exit(main(sys.argv[1]))
