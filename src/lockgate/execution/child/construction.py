"""What a forked import child does: import one module, construct its classes, report each step.

Each step is one JSON line on the zygote's pipe, with what the child has read, imported, looked
for and listed so far (:mod:`.observe`): a step that hangs, exits or crashes loses only itself.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import resource
import time
from typing import IO, Any

from lockgate.execution.child import arguments
from lockgate.execution.child.inputs import Paths, summarize
from lockgate.execution.child.observe import Observer


def _observed(observer: Observer, paths: Paths) -> dict[str, Any]:
    """What this child has read, imported, looked for and listed so far."""
    owners = summarize(observer.report(), paths)
    return {
        "loaded": sorted({f for o in owners.values() for f in o["files"]}),
        "lists": sorted({f for o in owners.values() for f in o["lists"]}),
        "probes": sorted(o["probes"] for o in owners.values() if o["probes"]),
        "native": sorted({f for o in owners.values() for f in o["native"]}),
    }


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code!r})"
    text = f"{type(exc).__name__}: {exc}".strip()
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<"):
        text += f" ({os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno})"
    return text


def _required_arguments(cls: type) -> list[str]:
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return []
    kinds = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )
    return [
        p.name
        for p in signature.parameters.values()
        if p.kind in kinds and p.default is inspect.Parameter.empty
    ]


def _takes_class(make: Any) -> bool:
    """A factory receives the class when it has exactly one required positional parameter
    (``build(cls)``); one without required parameters is called with none (``make()``)."""
    try:
        signature = inspect.signature(make)
    except (TypeError, ValueError):
        return False  # not introspectable (a builtin): the documented no-argument call
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    required = [
        p
        for p in signature.parameters.values()
        if p.kind in kinds and p.default is inspect.Parameter.empty
    ]
    return len(required) == 1


CALL = "()"  # as a factory: call the attribute with no arguments (a wiring registry)
# a factory "(…)" calls it with those arguments (literals and dotted names: .arguments)


def _construct(module: Any, name: str, factory: str | None) -> str:
    """Build one instance (or, with the factory ``CALL``, call ``name``); return "" on
    success or what went wrong."""
    cls = getattr(module, name, None)
    if factory is not None and factory.startswith(CALL[0]):
        if not callable(cls):
            return f"{name} is not callable in {module.__name__} at run time"
        try:
            args, kwargs = arguments.evaluate(factory)
        except BaseException as exc:
            return f"the arguments {factory} could not be resolved: {_describe(exc)}"
        cls(*args, **kwargs)
        return ""
    if not isinstance(cls, type):
        return f"{name} is not a class of {module.__name__} at run time"
    if factory:
        mod_name, _, attr = factory.partition(":")
        try:
            make = getattr(importlib.import_module(mod_name), attr)
        except BaseException as exc:
            return f"factory {factory} could not be loaded: {_describe(exc)}"
        try:
            obj = make(cls) if _takes_class(make) else make()
        except BaseException as exc:
            return f"factory {factory} raised {_describe(exc)}"
        if not isinstance(obj, cls):
            return f"factory {factory} returned {type(obj).__name__}, not {name}"
        return ""
    missing = _required_arguments(cls)
    if missing:
        return (
            f"constructor needs arguments ({', '.join(missing)}) and no factory is configured "
            f'under [tool.lockgate.instantiate] "{module.__name__}.{name}"'
        )
    cls()
    return ""


def examine(
    request: dict[str, Any], out: IO[str], observer: Observer, paths: Paths, fresh: bool = True
) -> None:
    """Import the request's module and construct its classes, writing each step to ``out``.
    ``fresh=False`` (a child of a warm parent, see zygote.py) keeps what the observer saw
    while the parent imported the module's parent package: this child's import would have."""

    def say(**message: Any) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    if fresh:
        observer.reset()
    say(phase="import", name="")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    try:
        module = importlib.import_module(request["module"])
    except BaseException as exc:
        say(
            step="import",
            ok=False,
            detail=_describe(exc),
            seconds=time.perf_counter() - start,
            **_observed(observer, paths),
        )
        return
    say(
        step="import",
        ok=True,
        detail="",
        seconds=time.perf_counter() - start,
        **_observed(observer, paths),
    )
    for name, factory in request["classes"]:
        say(phase="instantiate", name=name)
        start = time.perf_counter()
        try:
            problem = _construct(module, name, factory)
        except BaseException as exc:
            problem = f"constructor raised {_describe(exc)}"
        say(
            step="instantiate",
            name=name,
            ok=not problem,
            detail=problem,
            seconds=time.perf_counter() - start,
            **_observed(observer, paths),
        )
    # ru_maxrss is in KiB on Linux; a forked child starts from the zygote's peak.
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    say(step="memory", peak_mb=round(max(growth, 0) / 1024, 2))
