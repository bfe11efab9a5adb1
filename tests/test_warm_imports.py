"""Import probes forked from a warm parent (issue 21: "isolation costs too much at scale"):
modules of one parent package share one import of it, and every verdict, detail and input is
what a fresh import gives. Real zygotes, real forks, real packages on disk."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from lockgate.execution.worker import ModuleOutcome, Request, run_modules

# Each package's __init__ appends a line to imports.log when it runs: the log counts imports.
_COUNT = 'open("imports.log", "a").write(__name__ + "\\n")\n'

_TREE = {
    # a healthy package: three modules, one with a class, one whose class fails to construct
    "calm/__init__.py": _COUNT + "import json\nSETTING = json.dumps({'a': 1})\n",
    "calm/one.py": "from calm import SETTING\n"
    + "class One:\n    def __init__(self): self.s = SETTING\n",
    "calm/two.py": "import os.path\nHERE = os.path.exists('calm/data.txt')\n",
    "calm/three.py": "class Three:\n    def __init__(self): raise ValueError('no three')\n",
    "calm/data.txt": "data\n",
    "calm/broken.py": "import calm.missing_module\n",
    "calm/sub/__init__.py": _COUNT,
    "calm/sub/deep.py": "from calm.sub import *\n",
    "calm/sub/deeper.py": "import calm.sub.deep\n",
    # a package whose __init__ fails: each module must say so, as a fresh import does
    "failing/__init__.py": _COUNT + "raise RuntimeError('package down')\n",
    "failing/a.py": "",
    "failing/b.py": "",
    # a package that starts a thread at import: a fork would lose it
    "threaded/__init__.py": _COUNT
    + "import threading, time\n"
    + "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n",
    "threaded/a.py": "import threading\nCOUNT = threading.active_count()\n"
    + "assert COUNT == 2, COUNT\n",
    "threaded/b.py": "",
    # a package that starts a process at import
    "spawning/__init__.py": _COUNT + "import subprocess\nsubprocess.run(['true'])\n",
    "spawning/a.py": "",
    "spawning/b.py": "",
    # a package that imports its own modules: the child finds them loaded
    "eager/__init__.py": _COUNT + "from eager import a, b\n",
    "eager/a.py": "class A:\n    pass\n",
    "eager/b.py": "B = 2\n",
    # modules that end their process or hang, under a warm parent
    "rough/__init__.py": _COUNT,
    "rough/exits.py": "import os\nos._exit(3)\n",
    "rough/hangs.py": "import time\ntime.sleep(60)\n",
    "rough/fine.py": "X = 1\n",
}

_REQUESTS = [
    Request("calm.one", (("One", None),)),
    Request("calm.two", ()),
    Request("calm.three", (("Three", None),)),
    Request("calm.broken", ()),
    Request("calm.sub.deep", ()),
    Request("calm.sub.deeper", ()),
    Request("failing.a", ()),
    Request("failing.b", ()),
    Request("threaded.a", ()),
    Request("threaded.b", ()),
    Request("spawning.a", ()),
    Request("spawning.b", ()),
    Request("eager.a", (("A", None),)),
    Request("eager.b", ()),
    Request("rough.exits", ()),
    Request("rough.hangs", ()),
    Request("rough.fine", ()),
]


def _project(root: Path) -> Path:
    for name, text in _TREE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _probe(root: Path, warm: bool) -> dict[str, ModuleOutcome]:
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.py"))
    return run_modules(root, [str(root)], _REQUESTS, 4.0, jobs=2, files=files, warm=warm)


def _judged(outcome: ModuleOutcome) -> dict[str, Any]:
    """Everything a verdict and a key are made of: not the time, nor the memory."""

    def step(o: Any) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(o).items() if k != "seconds"}

    return {
        "imported": step(outcome.imported),
        "classes": {name: step(o) for name, o in outcome.classes.items()},
    }


def test_warm_parents_give_a_fresh_imports_verdicts_details_and_inputs(tmp_path: Path) -> None:
    cold = _project(tmp_path / "cold")
    warm = _project(tmp_path / "warm")
    fresh = _probe(cold, warm=False)
    shared = _probe(warm, warm=True)
    assert sorted(shared) == sorted(fresh) == sorted(r.key for r in _REQUESTS)
    for key in fresh:
        assert _judged(shared[key]) == _judged(fresh[key]), key

    # what the cases are, so that the equality above compares something
    assert fresh["calm.one"].imported.ok and fresh["calm.one"].classes["One"].ok
    assert "calm/__init__.py" in fresh["calm.one"].imported.loaded
    assert fresh["calm.three"].classes["Three"].detail.startswith("constructor raised ValueError")
    assert not fresh["calm.broken"].imported.ok
    assert "package down" in fresh["failing.a"].imported.detail
    assert fresh["threaded.a"].imported.ok  # its own thread count is a fresh import's
    assert fresh["eager.a"].classes["A"].ok
    assert "exit code 3" in fresh["rough.exits"].imported.detail
    assert "timed out" in fresh["rough.hangs"].imported.detail
    assert fresh["rough.hangs"].imported.transient
    assert fresh["rough.fine"].imported.ok

    # the healthy packages were imported once each under warm parents; the others as before
    cold_log = (cold / "imports.log").read_text().split()
    warm_log = (warm / "imports.log").read_text().split()
    # calm: its four modules' warm parent, and calm.sub's (importing calm.sub imports calm)
    assert cold_log.count("calm") == 6 and warm_log.count("calm") == 2
    assert cold_log.count("rough") == 3 and warm_log.count("rough") == 1
    assert cold_log.count("eager") == 2 and warm_log.count("eager") == 1
    assert cold_log.count("calm.sub") == 2 and warm_log.count("calm.sub") == 1
    # a package that fails, starts a thread or a process is no warm parent: each module
    # imports it itself, after the one try of the parent that was refused
    for package in ("failing", "threaded", "spawning"):
        assert cold_log.count(package) == 2
        assert warm_log.count(package) == 3, package
