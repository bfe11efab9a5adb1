"""The deploy package (being split into select, inspect, commit and out)."""

from lockgate.deploy.package.inspect import (
    DEV_EXCLUDES,
    Package,
    Source,
    check_out_path,
    commit,
    committed,
    finish,
    inspect,
    render_setup,
    select,
    work_tree,
    write_out,
)

__all__ = [
    "DEV_EXCLUDES",
    "Package",
    "Source",
    "check_out_path",
    "commit",
    "committed",
    "finish",
    "inspect",
    "render_setup",
    "select",
    "work_tree",
    "write_out",
]
