"""Generate a realistic N-feature Python project for the lockgate benchmarks.

The project looks like a small service: shared helper modules under ``src/gen/common/``, agents
(``*Agent``, ~80 %) under ``src/gen/agents/`` that each import one to three helpers, orchestrators
(``*Orchestrator``, ~20 %) under ``src/gen/orchestrators/`` that each compose three to five agents,
one pytest file per feature, a guide per feature for most of them, a ``config/routes.yaml`` map and
a ``gen/cli.py`` entry module that imports the orchestrators. It is committed as a git repository.

A few features are deliberately imperfect, at most one flaw each so every score stays >= 80 and a
deploy with ``threshold = 80`` passes: no guide (or a short / TODO one), weak tests (coverage
under 70 %), or no wiring. The output is deterministic for a given ``features`` and ``seed``.

    python benchmarks/generate.py /tmp/proj --features 1000 [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path

HELPERS = 10
ADJECTIVES = (
    "amber", "brisk", "cobalt", "dusky", "eager", "fabled", "gentle", "hollow", "ivory", "jolly",
    "keen", "lunar", "mellow", "nimble", "olive", "placid", "quiet", "rustic", "silver", "tidal",
    "umber", "vivid", "woven", "young", "zesty", "arctic", "bold", "crimson", "dapper", "early",
    "frosty", "golden", "hazy", "inky", "jade", "kind", "lively", "misty", "noble", "open",
)  # fmt: skip
NOUNS = (
    "ledger", "beacon", "cipher", "dock", "ember", "falcon", "garden", "harbor", "index", "jetty",
    "kernel", "lantern", "meadow", "needle", "orchard", "parcel", "quarry", "river", "signal",
    "tower", "union", "valley", "willow", "yard", "zephyr", "anchor", "bridge", "canyon", "delta",
    "engine", "fjord", "grove", "hive", "island", "junction", "kiln", "lagoon", "mill", "nest",
    "outpost",
)  # fmt: skip
EXTRA = ("north", "south", "east", "west", "upper", "lower", "inner", "outer")
KEYWORDS = (
    "invoice", "refund", "outage", "login", "parcel", "urgent", "billing", "export", "report",
    "upgrade", "cancel", "renewal", "feedback", "security", "latency", "quota",
)  # fmt: skip
GIT_ENV = {
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00",
}
GIT_ID = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]


@dataclass
class Feature:
    """One generated feature: where it lives and how it is (deliberately) flawed."""

    words: tuple[str, ...]
    kind: str  # "agent" or "orchestrator"
    flavor: str = ""  # agents: "scorer", "router" or "window"
    helpers: list[int] = field(default_factory=list)
    agents: list[Feature] = field(default_factory=list)  # orchestrators only
    flaw: str = ""  # "", "no-guide", "short-guide", "todo-guide", "weak-tests", "unwired"

    @property
    def module(self) -> str:
        return "_".join(self.words)

    @property
    def cls(self) -> str:
        suffix = "Agent" if self.kind == "agent" else "Orchestrator"
        return "".join(w.capitalize() for w in self.words) + suffix

    @property
    def kebab(self) -> str:
        return "-".join([*self.words, self.kind])

    @property
    def title(self) -> str:
        return " ".join(self.words).capitalize()

    @property
    def package(self) -> str:
        return "gen.agents" if self.kind == "agent" else "gen.orchestrators"

    @property
    def path(self) -> str:
        folder = "agents" if self.kind == "agent" else "orchestrators"
        return f"src/gen/{folder}/{self.module}.py"


def _names(count: int, rng: random.Random) -> list[tuple[str, ...]]:
    pairs: list[tuple[str, ...]] = list(product(ADJECTIVES, NOUNS))
    rng.shuffle(pairs)
    if count > len(pairs):
        triples: list[tuple[str, ...]] = list(product(EXTRA, ADJECTIVES, NOUNS))
        rng.shuffle(triples)
        pairs += triples
    if count > len(pairs):
        raise ValueError(f"at most {len(pairs)} features can be generated")
    return pairs[:count]


def plan(features: int, seed: int) -> list[Feature]:
    """Decide every feature's name, kind, flavor, helpers, agents and flaw."""
    if features < 2:
        raise ValueError("features must be at least 2")
    rng = random.Random(seed)
    names = _names(features, rng)
    n_orch = max(1, features // 5)
    out: list[Feature] = []
    for i, words in enumerate(names):
        kind = "orchestrator" if i >= features - n_orch else "agent"
        out.append(Feature(words=words, kind=kind))
    agents = [f for f in out if f.kind == "agent"]
    for f in agents:
        f.flavor = rng.choice(("scorer", "router", "window"))
        f.helpers = rng.sample(range(HELPERS), rng.randint(1, 3))
    for f in out:
        if f.kind == "orchestrator":
            f.agents = rng.sample(agents, min(len(agents), rng.randint(3, 5)))
            f.helpers = [rng.randrange(HELPERS)]
    used = {a.module for o in out for a in o.agents}
    for f in out:
        roll = rng.random()
        if roll < 0.06:
            f.flaw = "no-guide"
        elif roll < 0.08:
            f.flaw = "short-guide"
        elif roll < 0.10:
            f.flaw = "todo-guide"
        elif roll < 0.15:
            f.flaw = "weak-tests"
        elif roll < 0.20 and (f.kind == "orchestrator" or f.module not in used):
            f.flaw = "unwired"
    return out


# --------------------------------------------------------------------------------------- sources


def helper_source(k: int, salt: int) -> str:
    return f'''"""Shared helpers, family {k}: text normalisation, bounds, checksums and batching."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

SALT = {salt}


def tokens(text: str) -> list[str]:
    """Lower-case words of ``text``, punctuation removed."""
    return "".join(c if c.isalnum() else " " for c in text.lower()).split()


def normalize(text: str) -> list[int]:
    """The lengths of the words of ``text``."""
    return [len(word) for word in tokens(text)]


def clamp(value: int, low: int, high: int) -> int:
    """``value`` bounded to ``[low, high]``."""
    return max(low, min(high, value))


def checksum(text: str) -> int:
    """A small stable checksum of ``text``."""
    total = SALT
    for i, ch in enumerate(text):
        total = (total * 31 + ord(ch) * (i + 1)) % 65521
    return total


def chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    """Consecutive slices of at most ``size`` items."""
    if size < 1:
        raise ValueError("size must be positive")
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
'''


def _imports(f: Feature) -> str:
    return "from gen.common import " + ", ".join(f"helpers_{k}" for k in sorted(f.helpers))


def _trail(indent: str) -> str:
    return (
        f'{indent}record["trail"] = record.get("trail", "") + self.name + ";"\n'
        f"{indent}return record\n"
    )


def agent_source(f: Feature, rng: random.Random) -> str:
    a, b = f.helpers[0], f.helpers[-1]
    doc = f'"""{f.title} agent: {FLAVOR_DOC[f.flavor]}."""'
    head = f"{doc}\n\nfrom __future__ import annotations\n\n{_imports(f)}\n\n"
    if f.flavor == "scorer":
        weights = ", ".join(str(rng.randint(1, 5)) for _ in range(rng.randint(3, 5)))
        body = f'''THRESHOLD = {rng.randint(12, 40)}
WEIGHTS: tuple[int, ...] = ({weights})


def weigh(values: list[int]) -> int:
    """Weighted sum of the leading values."""
    return sum(w * v for w, v in zip(WEIGHTS, values, strict=False))


def label(score: int, threshold: int = THRESHOLD) -> str:
    """``high``, ``medium`` or ``low`` for a score."""
    if score >= threshold:
        return "high"
    if score >= threshold // 2:
        return "medium"
    return "low"


class {f.cls}:
    """Scores records for the {f.title.lower()} stage and labels them high, medium or low."""

    name = "{f.kebab}"

    def __init__(self, threshold: int = THRESHOLD) -> None:
        self.threshold = threshold
        self.seen = 0

    def score(self, text: str) -> int:
        """The bounded score of one text."""
        self.seen += 1
        raw = weigh(helpers_{a}.normalize(text)) + helpers_{b}.checksum(text) % 7
        return helpers_{a}.clamp(raw, 0, 100)

    def handle(self, record: dict[str, str]) -> dict[str, str]:
        """Label one record and append this agent to its trail."""
        record["label"] = label(self.score(record.get("text", "")), self.threshold)
{_trail("        ")}'''
    elif f.flavor == "router":
        keys = rng.sample(KEYWORDS, 3)
        routes = "\n".join(f'    "{k}": "{f.words[0]}-{k}",' for k in keys)
        body = f'''LIMIT = {rng.randint(24, 80)}
DEFAULT_ROUTE = "{f.kebab}-default"
ROUTES: dict[str, str] = {{
{routes}
}}


def route_for(words: list[str]) -> str:
    """The route of the first keyword found, or the default route."""
    for word in words:
        if word in ROUTES:
            return ROUTES[word]
    return DEFAULT_ROUTE


def trim(text: str, limit: int = LIMIT) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class {f.cls}:
    """Routes records of the {f.title.lower()} stage to a queue by keyword."""

    name = "{f.kebab}"

    def __init__(self) -> None:
        self.counts: dict[str, int] = {{}}

    def route(self, text: str) -> str:
        """The queue for ``text``; counts every decision."""
        target = route_for(helpers_{a}.tokens(text))
        self.counts[target] = self.counts.get(target, 0) + 1
        return target

    def stats(self) -> dict[str, int]:
        """Decisions per queue so far, busiest first."""
        return dict(sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def handle(self, record: dict[str, str]) -> dict[str, str]:
        """Route one record, shorten its preview and append this agent to its trail."""
        text = record.get("text", "")
        record["route"] = self.route(text)
        record["preview"] = trim(text) + f"#{{helpers_{b}.checksum(text) % 97}}"
{_trail("        ")}'''
    else:
        body = f'''WINDOW = {rng.randint(2, 5)}
FACTOR = {rng.randint(2, 9)}


def rolling(values: list[int], window: int = WINDOW) -> list[int]:
    """Sums over a sliding window of ``window`` values."""
    if window < 1:
        raise ValueError("window must be positive")
    return [sum(values[i : i + window]) for i in range(max(0, len(values) - window + 1))]


def peak(values: list[int]) -> int:
    """The largest value times ``FACTOR`` (0 for no values)."""
    return max(values, default=0) * FACTOR


class {f.cls}:
    """Tracks word-length peaks for the {f.title.lower()} stage over a sliding window."""

    name = "{f.kebab}"

    def __init__(self, window: int = WINDOW) -> None:
        self.window = window
        self.history: list[int] = []

    def observe(self, text: str) -> int:
        """Record the word lengths of ``text`` and return their windowed peak."""
        values = helpers_{a}.normalize(text)
        self.history.extend(values)
        return helpers_{b}.clamp(peak(rolling(values, self.window)), 0, 1000)

    def reset(self) -> None:
        """Forget everything observed."""
        self.history.clear()

    def handle(self, record: dict[str, str]) -> dict[str, str]:
        """Store the peak of one record and append this agent to its trail."""
        record["peak"] = str(self.observe(record.get("text", "")))
{_trail("        ")}'''
    return head + body


FLAVOR_DOC = {
    "scorer": "scores incoming records and labels them",
    "router": "routes incoming records to queues by keyword",
    "window": "tracks windowed peaks of incoming records",
}


def orchestrator_source(f: Feature, rng: random.Random) -> str:
    imports = "\n".join(
        f"from gen.agents.{a.module} import {a.cls}"
        for a in sorted(f.agents, key=lambda a: a.module)
    )
    make = ", ".join(f"{a.cls}()" for a in f.agents)
    names = ", ".join(a.cls for a in f.agents)
    k = f.helpers[0]
    return f'''"""{f.title} orchestrator: runs {len(f.agents)} agents over batches of texts."""

from __future__ import annotations

{imports}
from gen.common import helpers_{k}

BATCH = {rng.randint(2, 8)}


def tally(records: list[dict[str, str]], key: str) -> dict[str, int]:
    """How many records carry each value of ``key``."""
    counts: dict[str, int] = {{}}
    for record in records:
        value = record.get(key)
        if value is not None:
            counts[value] = counts.get(value, 0) + 1
    return counts


class {f.cls}:
    """Runs {names} in order over batches of texts."""

    name = "{f.kebab}"

    def __init__(self, batch: int = BATCH) -> None:
        self.batch = batch
        self.agents = [{make}]
        self.runs = 0

    def run(self, texts: list[str]) -> list[dict[str, str]]:
        """Every text through every agent, batch by batch."""
        self.runs += 1
        out: list[dict[str, str]] = []
        for group in helpers_{k}.chunks(texts, self.batch):
            for text in group:
                record = {{"text": text}}
                for agent in self.agents:
                    record = agent.handle(record)
                out.append(record)
        return out

    def report(self, texts: list[str]) -> dict[str, int]:
        """Counts of labels and routes over ``texts``."""
        records = self.run(texts)
        return {{**tally(records, "label"), **tally(records, "route")}}
'''


WEAK_ATTR = {"scorer": "threshold", "router": "counts", "window": "history"}


def test_source(f: Feature) -> str:
    head = f"from {f.package} import {f.module} as mod\n\n\n"
    if f.flaw == "weak-tests":
        attr = WEAK_ATTR.get(f.flavor, "runs")
        return head + (
            f"def test_instantiates() -> None:\n    assert mod.{f.cls}().{attr} is not None\n"
        )
    if f.kind == "orchestrator":
        return (
            head
            + f"""def test_tally() -> None:
    assert mod.tally([{{"k": "a"}}, {{"k": "a"}}, {{}}], "k") == {{"a": 2}}


def test_run_and_report(sample_texts: list[str]) -> None:
    orchestrator = mod.{f.cls}()
    records = orchestrator.run(sample_texts)
    assert len(records) == len(sample_texts)
    assert all(r["trail"].count(";") == len(orchestrator.agents) for r in records)
    assert isinstance(orchestrator.report(["one two three"]), dict)
    assert orchestrator.runs == 2
"""
        )
    if f.flavor == "scorer":
        return (
            head
            + f'''def test_weigh_and_label() -> None:
    assert mod.weigh([]) == 0
    assert mod.weigh([1] * 8) == sum(mod.WEIGHTS)
    assert mod.label(mod.THRESHOLD) == "high"
    assert mod.label(mod.THRESHOLD // 2) == "medium"
    assert mod.label(-1) == "low"


def test_handle_labels_record() -> None:
    agent = mod.{f.cls}()
    record = agent.handle({{"text": "alpha beta gamma"}})
    assert record["label"] in {{"high", "medium", "low"}}
    assert record["trail"] == "{f.kebab};"
    assert 0 <= agent.score("") <= 100
    assert agent.seen == 2
'''
        )
    if f.flavor == "router":
        return (
            head
            + f'''def test_route_for_and_trim() -> None:
    keyword, target = next(iter(mod.ROUTES.items()))
    assert mod.route_for(["x", keyword]) == target
    assert mod.route_for([]) == mod.DEFAULT_ROUTE
    assert mod.trim("short") == "short"
    assert len(mod.trim("x" * (mod.LIMIT + 9))) == mod.LIMIT


def test_handle_routes_and_counts() -> None:
    agent = mod.{f.cls}()
    record = agent.handle({{"text": "nothing to see"}})
    assert record["route"] == mod.DEFAULT_ROUTE
    assert record["trail"] == "{f.kebab};"
    agent.route("again nothing")
    assert agent.stats() == {{mod.DEFAULT_ROUTE: 2}}
'''
        )
    return (
        "import pytest\n\n"
        + head
        + f'''def test_rolling_and_peak() -> None:
    assert mod.rolling([1] * (mod.WINDOW + 1)) == [mod.WINDOW, mod.WINDOW]
    assert mod.peak([]) == 0
    assert mod.peak([2]) == 2 * mod.FACTOR
    with pytest.raises(ValueError):
        mod.rolling([1], 0)


def test_handle_and_reset() -> None:
    agent = mod.{f.cls}()
    record = agent.handle({{"text": "a bb ccc dddd eeeee ffffff"}})
    assert int(record["peak"]) >= 0
    assert record["trail"] == "{f.kebab};"
    assert agent.history
    agent.reset()
    assert agent.history == []
'''
    )


def guide_source(f: Feature) -> str:
    if f.flaw == "short-guide":
        return f"# {f.cls}\n\nSee the source.\n"
    usage = (
        f'{f.cls}().handle({{"text": "refund my invoice"}})'
        if f.kind == "agent"
        else f'{f.cls}().report(["refund my invoice", "login fails"])'
    )
    todo = "\n\nTODO: describe the configuration constants.\n" if f.flaw == "todo-guide" else ""
    role = FLAVOR_DOC.get(f.flavor, "runs a fixed pipeline of agents over batches of texts")
    return f"""# {f.cls}

The {f.title.lower()} {f.kind} {role}. It is part of the generated service and runs
inside the `{f.package}` package; every record it handles gets its name appended to the
`trail` field, so a processed record shows which stages touched it.

## Usage

```python
from {f.package}.{f.module} import {f.cls}

{usage}
```
{todo}"""


def cli_source(orchestrators: list[Feature]) -> str:
    imports = "\n".join(
        f"from gen.orchestrators.{o.module} import {o.cls}"
        for o in sorted(orchestrators, key=lambda o: o.module)
    )
    table = "\n".join(f'    "{o.kebab}": {o.cls},' for o in orchestrators)
    return f'''"""Command line of the generated service: ``gen-service NAME TEXT...``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

{imports}

ORCHESTRATORS: dict[str, Any] = {{
{table}
}}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one orchestrator over the given texts and print its report as JSON."""
    parser = argparse.ArgumentParser(prog="gen-service", description=__doc__)
    parser.add_argument("name", choices=sorted(ORCHESTRATORS))
    parser.add_argument("texts", nargs="+")
    args = parser.parse_args(argv)
    print(json.dumps(ORCHESTRATORS[args.name]().report(args.texts), sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
'''


def routes_source(features: list[Feature]) -> str:
    lines = [
        "# Routing table: which agent serves which channel, which orchestrator runs on which job.",
        "channels:",
    ]
    lines += [f"  {f.module.replace('_', '-')}: {f.cls}" for f in features if f.kind == "agent"]
    lines.append("  archive: ArchiveAgent   # planned, no class yet")
    lines.append("jobs:")
    lines += [f"  {f.module.replace('_', '-')}: {f.cls}" for f in features if f.kind != "agent"]
    return "\n".join(lines) + "\n"


PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "gen-service"
version = "{version}"
description = "A generated service of {count} agents and orchestrators (lockgate benchmark)."
requires-python = ">=3.11"
dependencies = []

[project.scripts]
gen-service = "gen.cli:main"

[tool.setuptools.packages.find]
where = ["src"]

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["src"]

[tool.lockgate]
src = ["src"]
tests = ["tests"]
threshold = 80
coverage = 70
timeout = 30

[[tool.lockgate.features]]
kind = "agent"
paths = ["src/gen/agents"]
classes = ["*Agent"]

[[tool.lockgate.features]]
kind = "orchestrator"
paths = ["src/gen/orchestrators"]
classes = ["*Orchestrator"]

[tool.lockgate.docs]
guides = ["docs/guides/{{kebab}}.md"]
min_chars = 200
placeholders = ["TODO", "TBD"]

[tool.lockgate.wiring]
entry_modules = ["gen.cli"]
maps = ["config/routes.yaml"]

[tool.lockgate.deploy]
branch = "gen/release"
exclude = ["tests/**", "docs/drafts/**"]
version_files = ["VERSION", "pyproject.toml"]
"""

CONFTEST = """import pytest


@pytest.fixture
def sample_texts() -> list[str]:
    return ["refund my invoice please", "login fails again", "", "urgent outage in export"]
"""

TEST_COMMON = """import pytest

from gen.common import helpers_0, helpers_1


def test_tokens_and_normalize() -> None:
    assert helpers_0.tokens("Hello, World!") == ["hello", "world"]
    assert helpers_1.normalize("a bb") == [1, 2]


def test_clamp_checksum_chunks() -> None:
    assert helpers_0.clamp(5, 0, 3) == 3
    assert helpers_0.checksum("abc") == helpers_0.checksum("abc")
    assert list(helpers_1.chunks(["a", "b", "c"], 2)) == [["a", "b"], ["c"]]
    with pytest.raises(ValueError):
        list(helpers_1.chunks(["a"], 0))
"""


BIG_CONFTEST = """from gen.common.base import Base

"""


def base_source(helpers: int) -> str:
    """A base class whose import closure is most of the project (issue 11's real codebase: a
    root conftest importing it put 82 files in every test file's closure)."""
    imports = "".join(f"from gen.common import helpers_{k}  # noqa: F401\n" for k in range(helpers))
    return (
        '"""The base every test sees through the conftest."""\n\n'
        f"{imports}from gen import cli  # noqa: F401  (every orchestrator, every agent)\n\n\n"
        "class Base:\n"
        '    """Nothing but a big closure."""\n'
    )


SLOW_TEST = """import time


def test_end_to_end_integration() -> None:
    # the real codebase's integration file needed ~160 s against a 30 s timeout
    time.sleep(SECONDS)
"""

REPORT_TEST = """from pathlib import Path

from gen.common import helpers_0


def test_writes_a_report_into_the_work_tree() -> None:
    # impure, as real suites are: a report written next to the code
    out = Path("reports") / "last-run.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text(" ".join(helpers_0.tokens("the report of the last run")))
    assert out.read_text().startswith("the report")
"""

SLOW_SECONDS, SLOW_TIMEOUT = 6, 3


def files(
    features: int, seed: int = 0, big_conftest: bool = False, real_shaped: bool = False
) -> dict[str, str]:
    """Every file of the project: relative path → text. With ``big_conftest``, the conftest
    imports a base class whose closure holds every helper, orchestrator and agent.
    ``real_shaped`` (issue 11) adds that conftest, a slow integration test that runs past its
    lockgate timeout, and a test that writes a report into the work tree."""
    big_conftest = big_conftest or real_shaped
    feats = plan(features, seed)
    rng = random.Random(seed * 7919 + features)
    version = f"2.{seed % 10}.{features % 100}"
    out: dict[str, str] = {
        "pyproject.toml": PYPROJECT.format(version=version, count=features),
        "VERSION": version + "\n",
        ".gitignore": "__pycache__/\n*.pyc\n.pytest_cache/\n.coverage\n",
        "README.md": (
            f"# gen-service\n\nA generated service with {features} features, "
            "used to benchmark lockgate.\n\n    gen-service NAME TEXT...\n"
        ),
        "src/gen/__init__.py": '"""The generated service."""\n',
        "src/gen/common/__init__.py": '"""Helpers shared by every agent."""\n',
        "src/gen/agents/__init__.py": '"""Agents: one stage of record processing each."""\n',
        "src/gen/orchestrators/__init__.py": '"""Orchestrators: pipelines of agents."""\n',
        "tests/conftest.py": CONFTEST,
        "tests/test_common.py": TEST_COMMON,
        "docs/drafts/roadmap.md": "# Roadmap\n\nNot shipped.\n",
    }
    for k in range(HELPERS):
        out[f"src/gen/common/helpers_{k}.py"] = helper_source(k, rng.randint(1, 997))
    for f in feats:
        make = agent_source if f.kind == "agent" else orchestrator_source
        out[f.path] = make(f, rng)
        out[f"tests/test_{f.module}.py"] = test_source(f)
        if f.flaw != "no-guide":
            out[f"docs/guides/{f.kebab}.md"] = guide_source(f)
    wired = [f for f in feats if f.flaw != "unwired"]
    out["src/gen/cli.py"] = cli_source([f for f in wired if f.kind == "orchestrator"])
    if big_conftest:
        out["src/gen/common/base.py"] = base_source(HELPERS)
        out["tests/conftest.py"] = BIG_CONFTEST + CONFTEST
    out["config/routes.yaml"] = routes_source(wired)
    if real_shaped:
        out["tests/test_slow_integration.py"] = SLOW_TEST.replace("SECONDS", str(SLOW_SECONDS))
        out["tests/test_report_writer.py"] = REPORT_TEST
        out["pyproject.toml"] += (
            f'\n[tool.lockgate.timeouts]\n"tests/test_slow_integration.py" = {SLOW_TIMEOUT}\n'
        )
    return out


def _git(dest: Path, *args: str) -> None:
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", *GIT_ID, *args], cwd=dest, env=env, check=True, capture_output=True)


def generate(
    dest: Path, features: int, seed: int = 0, big_conftest: bool = False, real_shaped: bool = False
) -> None:
    """Write a project of ``features`` features to ``dest`` (absent or empty) and commit it."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} exists and is not empty")
    for rel, text in files(features, seed, big_conftest, real_shaped).items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    _git(dest, "init", "--quiet", "--initial-branch=main")
    _git(dest, "add", "-A")
    _git(dest, "commit", "--quiet", "--no-gpg-sign", "-m", f"gen-service: {features} features")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="target folder (absent or empty)")
    parser.add_argument("--features", type=int, default=100, help="number of features")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--big-conftest", action="store_true", help="conftest imports a base with a big closure"
    )
    args = parser.parse_args(argv)
    try:
        generate(args.dest, args.features, args.seed, args.big_conftest)
    except (FileExistsError, ValueError) as exc:
        print(f"generate: {exc}", file=sys.stderr)
        return 2
    print(f"generated {args.features} features in {args.dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
