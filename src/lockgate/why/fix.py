"""``lockgate fix``: the next step for each failed layer, and scaffolds that never overwrite.

Scaffolds are honest starting points, not fixes: a guide carries one of the configured
placeholders (so ``documented`` stays failed until a person finishes it), a factory stub raises
until a person writes the real construction, and a test module tests only that the feature
can be built (its coverage decides whether ``tested`` passes).
"""

from __future__ import annotations

import ast
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from lockgate.commands.options import Options
from lockgate.errors import LockgateError
from lockgate.layers.documented import guides_of
from lockgate.layers.instantiated import factory_in
from lockgate.model import AlignResult, Feature, FeatureResult
from lockgate.pipeline.align import align
from lockgate.project.config import Config, load
from lockgate.project.names import named_by, several, snake

CREATE, EXISTS, PRINT = "create", "exists", "print"
_NEEDS = re.compile(r"constructor needs arguments \(([^)]*)\)")


@dataclass
class Step:
    """One thing to do about one failed layer."""

    id: str
    name: str
    layer: str
    detail: str  # the layer's verdict
    step: str  # what to do, in a sentence
    file: str | None = None  # the file the step is about (the scaffold, when there is one)
    action: str = PRINT  # create (a scaffold), exists (its file is there: left alone), print
    line: str | None = None  # a line to add by hand (configuration, an import)
    content: str | None = field(default=None, repr=False)  # the scaffold's text


@dataclass(frozen=True)
class ClassFacts:
    """What a scaffold says about a class: read from its source, without importing it."""

    docstring: str
    required: list[str]  # constructor parameters without a default
    methods: list[tuple[str, str, str]]  # public methods: name, parameters, first doc line


def fix(
    root: Path, wanted: list[str], scaffold: bool, quiet: bool
) -> tuple[AlignResult, list[Step]]:
    """Align, then plan a step for each failed layer of the features ``wanted`` (default: every
    feature with a failed layer); with ``scaffold``, write their scaffolds."""
    result = align(root, Options(json=quiet, quiet=quiet, command="fix"))
    chosen = select(result, wanted)
    found = Path(result.root)
    steps = plan(found, load(found).config, chosen)
    if scaffold:
        write(found, steps)
    return result, steps


def select(result: AlignResult, wanted: list[str]) -> list[FeatureResult]:
    """The features named by id or name (every one with a failed layer when none is named)."""
    if not wanted:
        return [r for r in result.features if any(not x.passed for x in r.layers.values())]
    chosen: list[FeatureResult] = []
    for name in wanted:
        found = [r for r in result.features if r.feature.id == name] or [
            r for r in result.features if named_by(r.feature.id, name)
        ]
        if not found:
            raise LockgateError(f"no feature {name!r}; `lockgate align` lists them")
        if len(found) > 1:
            raise LockgateError(several(name, [r.feature.id for r in found]))
        if found[0] not in chosen:
            chosen.append(found[0])
    return chosen


def plan(root: Path, config: Config, chosen: list[FeatureResult]) -> list[Step]:
    """One step per failed layer of each chosen feature."""
    steps: list[Step] = []
    for result in chosen:
        feature = result.feature
        facts = None if feature.broken else class_facts(root, feature)
        for layer, verdict in result.layers.items():
            if verdict.passed:
                continue
            if feature.broken and layer != "discovered":
                continue  # "not judged": one step, on the layer that names the problem
            step = Step(feature.id, feature.name, layer, verdict.detail, "")
            if feature.broken:
                step.step, step.file = f"make {feature.path} readable and parseable", feature.path
            elif layer == "documented":
                _documented(root, config, feature, facts, step)
            elif layer == "tested":
                _tested(root, config, feature, facts, step)
            elif layer == "instantiated":
                _instantiated(root, config, feature, step)
            elif layer == "wired":
                _wired(root, config, feature, step)
            elif layer == "imported":
                step.step, step.file = f"make {feature.module} import cleanly", feature.path
            else:  # optimized, or a layer this lockgate does not know
                step.step, step.file = f"bring {feature.name} within its budget", feature.path
            steps.append(step)
    return steps


def write(root: Path, steps: list[Step]) -> None:
    """Create every planned scaffold that does not exist; a file that does is left alone."""
    for step in steps:
        if step.action != CREATE or step.file is None or step.content is None:
            continue
        if not _create(root / step.file, step.content):
            step.action = EXISTS


def _create(path: Path, text: str) -> bool:
    """Write ``text`` to a new file ``path``, atomically; False (nothing written) when ``path``
    exists. Linked into place from a temporary file: never half a file, never over one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
    finally:
        os.unlink(tmp)
    return True


def _planned(root: Path, step: Step, path: str, text: str) -> None:
    step.file = path
    step.action = EXISTS if (root / path).exists() else CREATE
    step.content = text


# -- per layer -------------------------------------------------------------------------------


def _documented(
    root: Path, config: Config, feature: Feature, facts: ClassFacts | None, step: Step
) -> None:
    docs = config.docs
    todo = []
    if step.detail.startswith("no class docstring"):
        todo.append(f"give class {feature.name} a docstring ({feature.path}:{feature.line})")
        step.file = feature.path
    if step.detail != "no class docstring":  # the guide has a problem too
        guides = guides_of(docs.guides, feature)
        present = [g for g in guides if (root / g).is_file()]
        if present:
            todo.append(f"finish the guide {present[0]}")
            step.file = present[0]
        elif not docs.placeholders:
            # a scaffold without a placeholder could pass for a finished guide
            todo.append(f"write the guide {guides[0]} (at least {docs.min_chars} characters)")
            step.file = guides[0]
        else:
            marker = docs.placeholders[0]
            todo.append(f"fill in the guide scaffold {guides[0]} and remove its {marker}")
            _planned(root, step, guides[0], _guide(feature, facts, marker, docs.min_chars))
    step.step = "; then ".join(todo)


def _tested(
    root: Path, config: Config, feature: Feature, facts: ClassFacts | None, step: Step
) -> None:
    if not step.detail.startswith("no tests"):
        step.step = f"add or fix tests of {feature.name} until its own tests pass and cover it"
        step.file = feature.path
        return
    path = f"{_tests_dir(root, config)}/test_{snake(feature.name)}.py"
    step.step = f"extend the test scaffold {path} to test {feature.name}'s behaviour"
    factory = factory_in(config.instantiate, feature.id)
    _planned(root, step, path, _test_module(feature, facts, factory))


def _instantiated(root: Path, config: Config, feature: Feature, step: Step) -> None:
    factory = factory_in(config.instantiate, feature.id)
    if factory is not None:
        step.step = f"fix the factory {factory} so that it returns a {feature.name}"
        return
    # The worker read the real signature (an inherited constructor too): its detail names
    # the arguments the constructor needs.
    needed = _NEEDS.search(step.detail)
    if needed is None:
        step.step = f"make {feature.name}() succeed, or configure a factory that builds it"
        step.file = feature.path
        return
    required = [a.strip() for a in needed.group(1).split(",") if a.strip()]
    path = f"{_tests_dir(root, config)}/factory_{snake(feature.name)}.py"
    module = _module_name(config, path)
    step.step = (
        f"write the construction in the factory stub {path}, then register it under "
        "[tool.lockgate.instantiate]"
    )
    step.line = f'"{feature.id}" = "{module}:{snake(feature.name)}"'
    _planned(root, step, path, _factory(feature, required, path))


def _wired(root: Path, config: Config, feature: Feature, step: Step) -> None:
    maps = config.wiring.maps
    entries = config.wiring.entry_modules
    missing = [m for m in maps if not (root / m).exists()]
    if missing:
        step.step = f"name {feature.name} in the map file {missing[0]}"
        _planned(root, step, missing[0], f"{feature.name}\n")
    elif maps:
        step.step = f"name {feature.name} in the map file {maps[0]} (a line that holds the name)"
        step.file, step.line = maps[0], feature.name
    elif entries:
        step.step = f"import and use {feature.name} in the entry module {entries[0]}"
        step.line = f"from {feature.module} import {feature.name}"
    else:
        step.step = (
            f"give {feature.name} an entry point, or list a map file that names it under "
            "[tool.lockgate.wiring]"
        )
        step.line = 'maps = ["wiring.txt"]'


# -- scaffolds -------------------------------------------------------------------------------


def _guide(feature: Feature, facts: ClassFacts | None, marker: str, min_chars: int) -> str:
    about = facts.docstring if facts and facts.docstring else f"{marker}: what {feature.name} does."
    lines = [f"# {feature.name}", "", about, ""]
    if facts is not None:
        args = ", ".join(facts.required)
        lines += ["## Construction", "", f"`{feature.name}({args})`", ""]
        if facts.methods:
            lines += ["## Methods", ""]
            for name, params, doc in facts.methods:
                lines.append(f"- `{name}({params})`: {doc or f'{marker}: what it does.'}")
            lines.append("")
    lines += [
        f"{marker}: explain when to use {feature.name}, how it is configured, and give an",
        f"example (a finished guide has at least {min_chars} characters and no {marker}).",
        "",
    ]
    return "\n".join(lines)


def _test_module(feature: Feature, facts: ClassFacts | None, factory: str | None) -> str:
    head = [
        f'"""Tests of {feature.name} (a scaffold from `lockgate fix`: add tests of its '
        'behaviour)."""',
        "",
        f"from {feature.module} import {feature.name}",
    ]
    if factory is not None:
        module, _, function = factory.partition(":")
        head.append(f"from {module} import {function}")
        call = f"{function}()"
    else:
        call = f"{feature.name}()"
        if facts is not None and facts.required:
            call += f"  # needs {', '.join(facts.required)}: pass real values"
    return "\n".join(
        [
            *head,
            "",
            "",
            f"def test_{snake(feature.name)}_can_be_built() -> None:",
            f"    built = {call}",
            f"    assert isinstance(built, {feature.name})",
            "",
        ]
    )


def _factory(feature: Feature, required: list[str], path: str) -> str:
    function = snake(feature.name)
    args = ", ".join(f"{a}=..." for a in required)
    return "\n".join(
        [
            f'"""The factory lockgate builds {feature.name} with: its constructor needs '
            'arguments."""',
            "",
            "from __future__ import annotations",
            "",
            f"from {feature.module} import {feature.name}",
            "",
            "",
            f"def {function}() -> {feature.name}:",
            f'    """A {feature.name} built as the application builds it."""',
            f'    raise NotImplementedError("{path}: return {feature.name}({args})")',
            "",
        ]
    )


# -- reading the project ----------------------------------------------------------------------


def class_facts(root: Path, feature: Feature) -> ClassFacts | None:
    """Docstring, required constructor parameters and public methods of the feature's class."""
    try:
        tree = ast.parse((root / feature.path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return None
    node = next(
        (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == feature.name), None
    )
    if node is None:
        return None
    required: list[str] = []
    methods: list[tuple[str, str, str]] = []
    for item in node.body:
        if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        params = [a.arg for a in (*item.args.posonlyargs, *item.args.args)][1:]
        if item.name == "__init__":
            positional = [*item.args.posonlyargs, *item.args.args][1:]
            required = [a.arg for a in positional[: len(positional) - len(item.args.defaults)]]
            required += [
                a.arg
                for a, d in zip(item.args.kwonlyargs, item.args.kw_defaults, strict=True)
                if d is None
            ]
        elif not item.name.startswith("_"):
            doc = (ast.get_docstring(item) or "").strip().splitlines()
            methods.append((item.name, ", ".join(params), doc[0] if doc else ""))
    docstring = (ast.get_docstring(node) or "").strip()
    return ClassFacts(docstring, required, methods)


def _tests_dir(root: Path, config: Config) -> str:
    """The first configured test folder: where lockgate finds (and attributes) test files."""
    folders = [t.strip("/") for t in config.tests if (root / t).is_dir()]
    return folders[0] if folders else "tests"


def _module_name(config: Config, path: str) -> str:
    """The dotted module a new file will be, as lockgate and its workers import it."""
    bases = [s.strip("/") + "/" for s in config.src if s not in (".", "./")]
    base = next((b for b in bases if path.startswith(b)), "")
    return path[len(base) : -len(".py")].replace("/", ".")
