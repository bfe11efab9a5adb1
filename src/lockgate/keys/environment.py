"""The environment fingerprint: the interpreter, the installed distributions, the lock files
and the variables that change what a worker or a test does, all independent of where the
project, the environment and the interpreter live (so another checkout may reuse a result)."""

from __future__ import annotations

import importlib.machinery
import os
import re
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from pathlib import Path

from lockgate import __version__
from lockgate.keys.hashing import digest
from lockgate.plainfiles import read_regular

LOCK_FILES = (
    "poetry.lock",
    "uv.lock",
    "Pipfile.lock",
    "pdm.lock",
    "requirements.txt",
    "requirements-dev.txt",
    "constraints.txt",
)


# Variables that change what every worker or test process does, whether or not the project
# lists them, by the prefixes of their families rather than a list of names someone thought
# of: every variable the interpreter reads is named PYTHON* (`python --help-env` lists them:
# PYTHONOPTIMIZE strips asserts, PYTHONINTMAXSTRDIGITS limits int → str, PYTHONUTF8,
# PYTHONIOENCODING, PYTHONWARNINGS, PYTHONHASHSEED, ...), pytest's PYTEST_* (PYTEST_ADDOPTS can
# deselect tests), coverage's COVERAGE_*; the C library's time zone (TZ) and locale (LANG,
# LANGUAGE, LC_*) change what time and locale functions return.
SETTING_PREFIXES = ("PYTHON", "PYTEST_", "COVERAGE_", "LC_")
MACHINE_ENV = ("TZ", "LANG", "LANGUAGE")
# Of those, the ones whose effect is in another item or that lockgate sets for its children
# itself: the import path (the "sys.path" item, relocated), where bytecode goes (lockgate's
# own cache), what only an interactive interpreter reads, and buffering of output; and the
# ones a running pytest sets to describe itself (lockgate may run inside a test).
NOT_SETTINGS = frozenset(
    {
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONUSERBASE",
        "PYTHONPYCACHEPREFIX",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONSTARTUP",
        "PYTHONINSPECT",
        "PYTHONUNBUFFERED",
        "PYTHONEXECUTABLE",
        "COVERAGE_PROCESS_START",  # removed from the test processes' environment
        "PYTEST_CURRENT_TEST",
        "PYTEST_VERSION",
    }
)
NOT_SETTING_PREFIXES = ("PYTEST_XDIST_",)  # an xdist worker's name and count
# The zone the C library uses when TZ is unset (a link into the zone database, or a copy).
LOCALTIME = "/etc/localtime"


def settings(environ: Mapping[str, str]) -> dict[str, str]:
    """The interpreter and machine settings of ``environ`` that enter every key: each set
    variable of the families above by name, hashed."""
    return {
        f"env:{name}": digest(value.encode())
        for name, value in sorted(environ.items())
        if (name.startswith(SETTING_PREFIXES) or name in MACHINE_ENV)
        and name not in NOT_SETTINGS
        and not name.startswith(NOT_SETTING_PREFIXES)
    }


def zone(path: str = LOCALTIME) -> str:
    """The machine's time zone as the C library finds it without TZ: the zone's name when
    ``/etc/localtime`` links into a zone database (the same name on every machine), else the
    hash of the file; "-" when there is none."""
    try:
        target = os.readlink(path)
    except OSError:
        try:
            with open(path, "rb") as fh:
                return digest(fh.read())
        except OSError:
            return "-"
    marker = "zoneinfo/"
    where = os.path.realpath(os.path.join(os.path.dirname(path), target))
    if marker in where:
        return where.rsplit(marker, 1)[1]
    return zone(where) if os.path.exists(where) else "-"


def _anchors(root: Path) -> list[tuple[str, str]]:
    """The folders a machine-independent path is expressed from, most specific first: the
    project, the environment's prefix and the interpreter's (base) prefix."""
    named = {
        "<project>": str(root),
        "<prefix>": sys.prefix,
        "<exec-prefix>": sys.exec_prefix,
        "<base>": sys.base_prefix,
        "<base-exec>": sys.base_exec_prefix,
    }
    found: dict[str, str] = {}
    for label, folder in named.items():
        found.setdefault(os.path.normpath(os.path.abspath(folder)), label)
    return sorted(((f, label) for f, label in found.items()), key=lambda p: -len(p[0]))


def relocated(path: str, anchors: list[tuple[str, str]]) -> str:
    """``path`` relative to the innermost anchor holding it (``<prefix>/lib/...``); absolute
    only when it lies outside all of them (then it is a machine-specific input)."""
    full = os.path.normpath(os.path.abspath(path or "."))
    for folder, label in anchors:
        if full == folder:
            return label
        if full.startswith(folder.rstrip(os.sep) + os.sep):
            return label + "/" + full[len(folder) :].lstrip(os.sep).replace(os.sep, "/")
    return full


def _relocated_text(data: bytes, anchors: list[tuple[str, str]]) -> bytes:
    for folder, label in anchors:
        data = data.replace(os.fsencode(folder), label.encode())
    return data


def _record_digest(folder: str, anchors: list[tuple[str, str]]) -> str:
    """The hash of a distribution's ``RECORD`` (every installed file with its content hash),
    made independent of where and how the environment was installed.

    Left out: bytecode (listed without a hash, present or not as the installer compiled),
    and the installer's notes — ``INSTALLER``, ``REQUESTED``, ``direct_url.json`` — which say
    how it was installed, not what. A script outside site-packages (``../``) counts by name
    only: its shebang names the interpreter's path. A file that names folders (a ``.pth``
    file, an editable install's finder) counts by its content with the project and the
    prefixes replaced by placeholders.
    """
    try:
        with open(os.path.join(folder, "RECORD"), "rb") as fh:
            data = fh.read()
    except OSError:  # an egg-info has no RECORD, nor has a hand-made dist-info
        try:
            with open(os.path.join(folder, _metadata_file(folder)), "rb") as fh:
                return digest(fh.read())
        except OSError:
            return "-"
    # This runs for every distribution on every full run, and a large RECORD has thousands
    # of lines: no work per line in Python, only C's searches.
    data = b"\n" + data.replace(b"\r\n", b"\n").rstrip(b"\n") + b"\n"
    if b"../" in data:
        data = _SCRIPT_LINE.sub(rb"\1", data)
    if b",,\n" in data:  # lines without a hash: bytecode, and RECORD itself
        chunks = data.split(b",,\n")
        data = b"".join(c.rpartition(b"\n")[0] + b"\n" if b"\n" in c else b"" for c in chunks[:-1])
        data += chunks[-1]
    info = b"\n" + os.path.basename(folder).encode() + b"/"
    for name in _NOTES:
        start = data.find(info + name + b",")
        if start >= 0:
            data = data[:start] + data[data.index(b"\n", start + 1) :]
    if any(marker in data for marker in _PATH_NAMING):
        base = os.path.dirname(folder)
        lines = data.split(b"\n")
        for i, line in enumerate(lines):
            name = line.split(b",", 1)[0]
            if name.endswith(b".pth") or name.rpartition(b"/")[2].startswith(b"__editable__"):
                try:
                    with open(os.path.join(base, os.fsdecode(name)), "rb") as fh:
                        text = _relocated_text(fh.read(), anchors)
                    lines[i] = name + b"," + digest(text).encode()
                except OSError:
                    lines[i] = name + b",-"
        data = b"\n".join(lines)
    return digest(data)


# Starting with a literal lets the search skip to each candidate line.
_SCRIPT_LINE = re.compile(rb"(\n\.\./[^,\r\n]*),[^\r\n]*")
_PATH_NAMING = (b".pth,", b"__editable__")
_NOTES = (b"INSTALLER", b"REQUESTED", b"direct_url.json")


def _metadata_file(folder: str) -> str:
    return "PKG-INFO" if folder.endswith(".egg-info") else "METADATA"


def _stamp(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return "-"
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


def _distributions(anchors: list[tuple[str, str]], local: bool) -> dict[str, str]:
    # dist-info folder names carry name and version; the RECORD's content (every installed
    # file's hash) catches a distribution rebuilt or edited in place, and, unlike a stat,
    # is the same on another machine. Listing folders is far cheaper than importlib.metadata.
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name in found:
                continue
            full = os.path.join(entry, name)
            if name.endswith((".dist-info", ".egg-info")):
                if not local:
                    found[name] = _record_digest(full, anchors)
                else:  # every file the full fingerprint may read
                    meta = _stamp(os.path.join(full, _metadata_file(full)))
                    found[name] = f"{_stamp(os.path.join(full, 'RECORD'))} {meta}"
            elif name.endswith(".pth") or name in _AT_START:
                # code and import-path entries `site` runs or adds at every interpreter start,
                # listed by a RECORD or dropped there by hand
                found[f"{relocated(entry, anchors)}/{name}"] = (
                    _stamp(full) if local else _started(full, anchors)
                )
            elif local and name.startswith("__editable__"):
                # what the full fingerprint reads through the RECORD that lists it
                found[f"{relocated(entry, anchors)}/{name}"] = _stamp(full)
    return found


# What `site` imports at interpreter start when it is on the import path (issue 19, class 6).
_AT_START = frozenset(
    f"{module}{tail}"
    for module in ("sitecustomize", "usercustomize")
    for tail in (".py", ".pyc", *importlib.machinery.EXTENSION_SUFFIXES, "")
)


def _started(path: str, anchors: list[tuple[str, str]]) -> str:
    """The content of a file run at interpreter start (a package: its ``__init__.py``), with
    the project and the prefixes replaced by placeholders; "-" when it cannot be read."""
    if os.path.isdir(path):
        path = os.path.join(path, "__init__.py")
    try:
        with open(path, "rb") as fh:
            return digest(_relocated_text(fh.read(), anchors))
    except OSError:
        return "-"


def interpreter() -> str:
    """The interpreter as far as results depend on it: implementation, full version,
    platform and ABI — not where it is installed."""
    version = ".".join(map(str, sys.version_info[:3])) + "".join(
        str(part) for part in sys.version_info[3:] if part not in ("final", 0)
    )
    abi = sysconfig.get_config_var("SOABI") or sys.abiflags
    return f"{sys.implementation.name} {version} {sysconfig.get_platform()} {abi}"


def environment(root: Path, env_names: Sequence[str], local: bool = False) -> dict[str, str]:
    """Every item of the environment fingerprint, by name, for diffing in ``why``.

    No item names where the project, the environment or the interpreter lives, so two
    checkouts of one commit with the same packages installed get the same fingerprint.
    ``local`` stamps distributions by the stat of their ``RECORD`` (and of the ``.pth`` and
    editable-finder files beside them) instead of reading it: for the no-change snapshot,
    which never leaves this checkout, a stat that moves whenever the content may have.
    """
    anchors = _anchors(root)
    items: dict[str, str] = {
        "python": interpreter(),
        "lockgate": __version__,
        # What workers and test processes import from, beyond the project's own roots.
        # sys.path[0] is left out: it is lockgate's script folder or the caller's working
        # directory, and no worker sees it (they run in the project root).
        "sys.path": os.pathsep.join(relocated(p, anchors) for p in sys.path[1:]),
    }
    for name, stamp in _distributions(anchors, local).items():
        items[f"dist:{name}"] = stamp
    for lock in LOCK_FILES:
        path = root / lock
        if path.is_file():
            items[f"lock:{lock}"] = digest(read_regular(path))
    items.update(settings(os.environ))
    items["zone"] = zone()
    for name in env_names:
        value = os.environ.get(name)
        items[f"env:{name}"] = "<unset>" if value is None else digest(value.encode())
    return items
