"""What ``cleanup`` found: one row per unused item with why, or one JSON object."""

from __future__ import annotations

from typing import Any

from lockgate.pipeline.cleanup import KINDS, Unused
from lockgate.report.screen import Cell, Column, Screen, columns
from lockgate.words import counted


def cleanup_json(items: list[Unused], removed: list[str] | None) -> dict[str, Any]:
    """``unused`` (kind, path, name for a wiring entry, why, tracked) and, with ``--apply``,
    ``removed``: the paths ``git rm`` removed (null on a dry run)."""
    return {
        "unused": [
            {
                "kind": u.kind,
                "path": u.path,
                **({"name": u.name} if u.name else {}),
                "why": u.why,
                "tracked": u.tracked,
            }
            for u in items
        ],
        "counts": {kind: sum(u.kind == kind for u in items) for kind in KINDS},
        "removed": removed,
    }


def print_cleanup(items: list[Unused], removed: list[str] | None, screen: Screen) -> None:
    """The items by kind, then one line: what --apply would do, or did."""
    cells: list[list[Cell]] = [
        [(u.kind, "bold"), (f"{u.path}: {u.name}" if u.name else u.path, ""), (u.why, "dim")]
        for u in sorted(items, key=lambda u: (KINDS.index(u.kind), u.path, u.name))
    ]
    out = columns(
        screen,
        [Column(gap=0), Column(gap=2), Column(gap=2, wrap=True, keep=30)],
        cells,
        header=False,
    )
    files = [u for u in items if u.tracked]
    if not items:
        out.append("nothing unused found")
    elif removed is None:
        out += [
            "",
            f"{counted(len(items), 'unused item')}; `lockgate cleanup --apply` would "
            f"git rm {counted(len(files), 'tracked file')} (wiring entries are edited by hand)",
        ]
    else:
        out += ["", f"git rm {counted(len(removed), 'file')}; review with `git status` and commit"]
    screen.write(out)
