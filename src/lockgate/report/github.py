"""GitHub Actions workflow commands: an annotation on the file and line of every failure.

See "Workflow commands for GitHub Actions": ``::error file=F,line=L,title=T::message``. A
failed layer of a gated feature is an error, of an internal feature a warning; a failed gate
is an error when it blocks and a warning when it only reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lockgate import git

if TYPE_CHECKING:
    from lockgate.deploy.gates import GateResult
    from lockgate.model import AlignResult


def escape_data(text: str) -> str:
    """A message as GitHub reads it back: ``%``, CR and LF percent-encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (file, title): the message escapes, and ``:`` and ``,`` too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(
    level: str, message: str, file: str | None = None, line: int | None = None, title: str = ""
) -> str:
    """One workflow command line, e.g. ``::error file=a.py,line=3,title=T::it failed``."""
    props = []
    if file is not None:
        props.append(f"file={escape_property(file)}")
        if line is not None:
            props.append(f"line={line}")
    if title:
        props.append(f"title={escape_property(title)}")
    head = f"{level} {','.join(props)}" if props else level
    return f"::{head}::{escape_data(message)}"


def _prefix(root: Path) -> str:
    """The project root relative to the repository's top, which GitHub's paths start from."""
    top = git.work_tree(root)
    if top is None or top == root:
        return ""
    try:
        return root.relative_to(top).as_posix() + "/"
    except ValueError:
        return ""


def workflow_commands(result: AlignResult, gates: list[GateResult] | None = None) -> list[str]:
    """Every failed layer, failing test file of no feature, warning and failed gate."""
    prefix = _prefix(Path(result.root))
    out = [command("warning", warning) for warning in result.warnings]
    for r in result.features:
        f = r.feature
        level = "warning" if f.internal else "error"
        failed = [(level, name, got.detail) for name, got in r.layers.items() if not got.passed]
        if f.broken:  # one reason: the other layers were not judged because of it
            failed = failed[:1]
        perf = r.performance
        if perf is not None and not perf.passed and "optimized" not in r.layers:
            failed.append(("warning", "performance", perf.detail))  # reported, never gated
        for kind, name, detail in failed:
            where = prefix + f.path
            out.append(command(kind, detail or f"{name} failed", where, f.line, f"{f.id} {name}"))
    for s in result.suite:
        if not s.passed:
            out.append(command("error", s.detail, prefix + s.path, None, f"{s.path} tests"))
    if result.orphans:
        out.append(command("warning", ", ".join(result.orphans), title="orphaned wiring entries"))
    for g in gates or []:
        if not g.passed and g.severity != "off":
            level = "error" if g.severity == "error" else "warning"
            out.append(command(level, g.detail, title=f"gate {g.name}"))
    return out


def summary(result: AlignResult) -> str:
    """The one-line summary of a run, as plain text."""
    n = len(result.features)
    mean = sum(r.score for r in result.features) / n if n else 0.0
    counts = {
        s: sum(1 for r in result.features if r.status == s)
        for s in ("healthy", "warning", "critical")
    }
    return (
        f"{n} features, mean score {mean:.1f}: {counts['healthy']} healthy, "
        f"{counts['warning']} warning, {counts['critical']} critical · reused {result.hits}, "
        f"ran {result.misses} · {result.seconds:.2f}s"
    )
