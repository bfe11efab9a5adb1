"""Randomness seeded by the tree, not by the machine's entropy.

A test that draws from a generator nobody seeded (``random.Random()``, the ``random`` module's
own, Faker's module-level generator) runs different lines from run to run, so the coverage of
its feature, and with it a verdict, would be a function of the draw. In the test child every
such generator is seeded from a name instead: when a test file's collection starts
(:func:`restart`), each live generator seeded from entropy is seeded again from the file's
project-relative path and the place that made the generator, and one made while the file runs
is seeded from the same; so a file draws the same numbers whatever ran before it, in whichever
process, with or without a store. A generator the project seeds itself (``random.seed(7)``,
``Random(42)``, ``Faker.seed``) keeps its seed, also across the fork of :mod:`.per_file` (where
Python itself would seed the ``random`` module's generator again from entropy).
``random.SystemRandom`` and ``os.urandom`` are left alone: their point is entropy.

Part of the test child: standard library only.
"""

from __future__ import annotations

import hashlib
import os
import random
import sys
import weakref
from typing import Any

# generators seeded from entropy (now from a name), in the order they were made, with where
_FROM_ENTROPY: list[tuple[weakref.ref[random.Random], str]] = []
_base = ""  # the file whose run draws now ("" before any)
_made: dict[str, int] = {}  # generators made per place since the last restart
_real_seed = random.Random.seed
_saved: list[Any] = []  # the random module's state before a fork, when the project set it
_project_seeded: weakref.WeakSet[random.Random] = weakref.WeakSet()


def _derive(*parts: object) -> int:
    name = "\0".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big")


def _place() -> str:
    """The module and function that asked for a generator seeded from entropy."""
    frame = sys._getframe(2)
    while frame.f_back is not None and frame.f_globals.get("__name__") in ("random", __name__):
        frame = frame.f_back
    return f"{frame.f_globals.get('__name__')}.{frame.f_code.co_qualname}"


def _seed(self: random.Random, a: Any = None, version: int = 2) -> None:
    if a is not None:
        _project_seeded.add(self)
        _real_seed(self, a, version)
        return
    _project_seeded.discard(self)
    place = _place()
    number = _made.get(place, 0)
    _made[place] = number + 1
    _track(self, place)
    _real_seed(self, _derive(_base, place, number), version)


def _seed_module(a: Any = None, version: int = 2) -> None:
    _seed(random._inst, a, version)


def _track(generator: random.Random, place: str) -> None:
    # every subclass of random.Random (a Python class) can be weakly referenced
    _FROM_ENTROPY.append((weakref.ref(generator), place))


def install() -> None:
    """Seed every generator seeded from entropy from now on, and the random module's own."""
    random.Random.seed = _seed  # type: ignore[method-assign]
    # the module's functions are its generator's methods, bound when it was imported
    random.seed = _seed_module
    _track(random._inst, "random")
    _real_seed(random._inst, _derive("", "random", 0))
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork)


def restart(file: str) -> None:
    """Seed every live generator seeded from entropy from ``file`` (project-relative), whose
    run starts now, and the ones it makes likewise."""
    global _base
    _base = file
    _made.clear()
    alive: list[tuple[weakref.ref[random.Random], str]] = []
    counts: dict[str, int] = {}
    for ref, place in _FROM_ENTROPY:
        generator = ref()
        if generator is None or generator in _project_seeded:
            continue
        alive.append((ref, place))
        number = counts.get(place, 0)
        counts[place] = number + 1
        _real_seed(generator, _derive(file, place, "live", number))
    _FROM_ENTROPY[:] = alive


def _before_fork() -> None:
    inst = random._inst
    _saved[:] = [inst.getstate()] if inst in _project_seeded else []


def _after_fork() -> None:
    # Python seeds the random module's generator from entropy in every fork; a state the
    # project seeded is put back, one seeded from a name is seeded again by restart().
    if _saved:
        random._inst.setstate(_saved[0])
