"""A result's extras stored as pieces shared between results (issue 21), on a real SQLite file:
read back exactly as written, each shared piece stored once, and a damaged or missing piece
never serves a result."""

from __future__ import annotations

import json
import random
import sqlite3
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import as_schema_9

from lockgate.store import pieces
from lockgate.store.schema import SCHEMA_VERSION, VARIANTS
from lockgate.store.store import NewResult, Store, variant_of

ODD_PATHS = [
    "",
    "src/caf\u00e9/\u65e5\u672c.py",
    "emoji/\U0001f600.txt",
    'quote"and\\backslash.py',
    "\x00set:0123456789abcdef",
    "\x00list:src/",
    "lone/\udcff-surrogate.py",  # a file name that is no UTF-8, as os.fsdecode gives it
    "tab\tand\nnewline",
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path)
    try:
        yield opened
    finally:
        opened.close()


def result(
    key: str, extras: dict[str, str | None], detail: str = "ok", feature: str = "app.F"
) -> NewResult:
    return NewResult(
        key=key,
        layer="tested",
        feature=feature,
        passed=True,
        detail=detail,
        seconds=0.5,
        extras=extras,
        inputs={"files": {"src/app.py": "h"}},
    )


def random_extras(rng: random.Random, shared: dict[str, str | None]) -> dict[str, str | None]:
    """``shared`` with a few entries dropped, changed or added."""
    out = dict(shared)
    for _ in range(rng.randrange(3)):
        out.pop(rng.choice(list(shared) or ["x"]), None)
    for _ in range(rng.randrange(3)):
        out[rng.choice(list(shared) or ["x"])] = f"{rng.getrandbits(64):016x}"
    for _ in range(rng.randrange(3)):
        folder = rng.choice(["src/", "tests/", "lib/deep/er/", ""])
        out[f"{folder}{rng.choice(ODD_PATHS)}{rng.randrange(10**6)}"] = rng.choice(
            [None, f"{rng.getrandbits(64):016x}"]
        )
    return out


def shared_map(rng: random.Random, size: int) -> dict[str, str | None]:
    return {
        f"pkg/mod{n // 40}/file{n}.py": None if n % 97 == 0 else f"{rng.getrandbits(128):032x}"
        for n in range(size)
    }


def test_split_joins_back_into_the_canonical_json() -> None:
    rng = random.Random(21)
    base = shared_map(rng, 600)
    cases: list[dict[str, str | None]] = [{}, {"a": None}, dict.fromkeys(ODD_PATHS, "h")]
    cases += [random_extras(rng, base) for _ in range(40)]
    for extras in cases:
        canonical, runs = pieces.split(extras)
        assert canonical == json.dumps(extras, sort_keys=True)
        assert pieces.joined(runs) == canonical
        assert all(runs)  # no empty piece
        assert len(runs) > 1 or len(extras) < 200  # a large map is cut


def test_many_results_read_back_exactly_and_share_their_pieces(store: Store) -> None:
    rng = random.Random(7)
    base = shared_map(rng, 1500)
    written = {f"{n:032x}": random_extras(rng, base) for n in range(60)}
    written["e" * 32] = {}
    written["f" * 32] = {"only/none.py": None, **dict.fromkeys(ODD_PATHS, None)}
    store.write([result(key, extras) for key, extras in written.items()], {}, {}, None)
    found = store.lookup(written)
    assert {key: [s.extras for s in held] for key, held in found.items()} == {
        key: [extras] for key, extras in written.items()
    }
    assert all(held[0].variant == variant_of(written[key]) for key, held in found.items())
    assert [r.extras for r in store.sound_results()] == list(written.values())
    with sqlite3.connect(store.path) as conn:
        stored = conn.execute("SELECT count(*), sum(length(data)) FROM pieces").fetchone()
    whole = sum(
        len(zlib.compress(json.dumps(e, sort_keys=True).encode(), 6)) for e in written.values()
    )
    assert stored[1] < whole / 4  # 62 maps of 1,500 entries, mostly alike
    assert store.unsound() == {}


def test_pieces_no_result_names_are_deleted_with_their_results(store: Store) -> None:
    rng = random.Random(3)
    base = shared_map(rng, 800)
    own = {**base, "own/file.py": "1" * 32}
    store.write([result("a" * 32, base), result("b" * 32, own)], {}, {}, None)
    before = _pieces(store)
    assert store.delete(["b" * 32]) == 1
    after = _pieces(store)
    assert after < before and len(before - after) == 1  # only b's own piece went
    assert store.lookup(["a" * 32])["a" * 32][0].extras == base
    store.clear()
    assert _pieces(store) == set()


def test_every_way_results_go_takes_their_pieces_only(store: Store) -> None:
    rng = random.Random(13)
    base = shared_map(rng, 300)
    old = time.time() - 3600
    for n in range(VARIANTS + 2):  # the first two are evicted past the cap
        extras = {**base, f"own/{n}.py": f"{n:032x}"}
        store.write([result("k" * 32, extras, detail=f"run {n}")], {}, {}, None)
        assert _pieces(store) == _named(store)
    store.write(
        [NewResult("p" * 32, "tested", "app.P", True, "", 0.1, {"p.py": "p"}, {}, old)],
        {},
        {},
        None,
    )
    assert store.prune(time.time() - 60) == 1
    assert _pieces(store) == _named(store)
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE results SET detail = 'forged' WHERE detail = 'run 5'")
    store.drop(store.unsound())
    assert _pieces(store) == _named(store)
    assert [r.detail for r in store.sound_results()] == [
        f"run {n}" for n in range(2, VARIANTS + 2) if n != 5
    ]


def _named(store: Store) -> set[bytes]:
    with sqlite3.connect(store.path) as conn:
        values = [row[0] for row in conn.execute("SELECT pieces FROM results")]
    return {name for value in values for name in pieces.digests(value) or ()}


def _pieces(store: Store) -> set[bytes]:
    with sqlite3.connect(store.path) as conn:
        return {row[0] for row in conn.execute("SELECT digest FROM pieces")}


@pytest.mark.parametrize("damage", ["altered", "missing", "reordered"])
def test_a_damaged_piece_never_serves_a_result(store: Store, damage: str) -> None:
    rng = random.Random(5)
    base = shared_map(rng, 800)
    other = {"other/file.py": "2" * 32}
    store.write([result("a" * 32, base, feature="app.A"), result("o" * 32, other)], {}, {}, None)
    with sqlite3.connect(store.path) as conn:
        names = pieces.digests(
            conn.execute("SELECT pieces FROM results WHERE key = ?", ("a" * 32,)).fetchone()[0]
        )
        assert names is not None and len(names) > 2
        name = names[len(names) // 2]
        if damage == "altered":  # sound zlib, one hash changed: only the digest tells
            text = zlib.decompress(
                conn.execute("SELECT data FROM pieces WHERE digest = ?", (name,)).fetchone()[0]
            )
            flipped = text.replace(text[-5:-1], b"0000" if text[-5:-1] != b"0000" else b"1111")
            conn.execute(
                "UPDATE pieces SET data = ? WHERE digest = ?", (zlib.compress(flipped), name)
            )
        elif damage == "missing":
            conn.execute("DELETE FROM pieces WHERE digest = ?", (name,))
        else:  # every piece intact, in another order: the MAC covers the joined text
            names[0], names[1] = names[1], names[0]
            conn.execute("UPDATE results SET pieces = ? WHERE key = ?", (b"".join(names), "a" * 32))
    assert store.lookup(["a" * 32, "o" * 32]) == {"o" * 32: store.lookup(["o" * 32])["o" * 32]}
    assert store.latest_of({("app.A", "tested"), ("app.F", "tested")}) == {
        ("app.F", "tested"): {"files": {"src/app.py": "h"}}
    }
    assert [r.key for r in store.sound_results()] == ["o" * 32]
    bad = store.unsound()
    assert len(bad["results"]) == 1
    assert ("pieces" in bad) == (damage == "altered")
    store.drop(bad)
    assert store.unsound() == {}
    # written again, the result is whole: a damaged piece is written over, not kept
    store.write([result("a" * 32, base)], {}, {}, None)
    assert store.lookup(["a" * 32])["a" * 32][0].extras == base
    assert store.unsound() == {}


def test_a_rebuild_keeps_sound_results_and_their_pieces_only(store: Store) -> None:
    rng = random.Random(11)
    base = shared_map(rng, 500)
    store.write([result("a" * 32, base), result("b" * 32, {"b.py": "3" * 32})], {}, {}, None)
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE results SET detail = 'forged' WHERE key = ?", ("b" * 32,))
    assert store.rebuild() == (1, 1)
    assert store.lookup(["a" * 32, "b" * 32])["a" * 32][0].extras == base
    assert len(_pieces(store)) == len(pieces.split(base)[1])


def test_facts_are_stored_compressed_and_read_as_written(store: Store) -> None:
    text = json.dumps({"names": ["caf\u00e9", "\U0001f600"] * 500})
    store.write([], {}, {"parse/abc": text, "owners/k": "[]"}, None)
    assert store.facts(["parse/abc", "owners/k"]) == {"parse/abc": text, "owners/k": "[]"}
    with sqlite3.connect(store.path) as conn:
        data = conn.execute("SELECT data FROM facts WHERE hash = 'parse/abc'").fetchone()[0]
        assert isinstance(data, bytes) and len(data) < len(text) // 10
        conn.execute(
            "UPDATE facts SET data = ? WHERE hash = 'parse/abc'",
            (zlib.compress(text.replace("caf", "cab").encode()),),
        )
    assert store.facts(["parse/abc", "owners/k"]) == {"owners/k": "[]"}
    assert store.unsound() == {"facts": [1]}


def test_a_store_of_schema_9_keeps_every_result_and_fact(tmp_path: Path) -> None:
    rng = random.Random(9)
    base = shared_map(rng, 1000)
    written = {f"{n:032x}": random_extras(rng, base) for n in range(20)}
    written["e" * 32] = {}
    facts = {"parse/a": json.dumps(list(ODD_PATHS)), "owners/b": "[1, 2]"}
    first = Store(tmp_path)
    first.write([result(k, e, detail=k[-3:]) for k, e in written.items()], {}, facts, None)
    before = first.sound_results()
    first.close()
    with sqlite3.connect(tmp_path / "store.sqlite") as conn:
        as_schema_9(conn)
    with sqlite3.connect(tmp_path / "store.sqlite") as conn:
        extras = conn.execute("SELECT extras FROM results ORDER BY rowid").fetchall()
    assert [json.loads(e) for (e,) in extras] == list(written.values())  # really schema 9
    size = sum(p.stat().st_size for p in tmp_path.glob("store.sqlite*"))
    store = Store(tmp_path)
    try:
        assert store.warnings == [] and store.schema_version() == SCHEMA_VERSION
        assert store.size_bytes() < size / 3  # the space the split freed is given back
        assert store.sound_results() == before
        found = store.lookup(written)
        assert {k: [s.extras for s in held] for k, held in found.items()} == {
            k: [e] for k, e in written.items()
        }
        assert store.facts(facts) == facts
        assert store.unsound() == {}
        assert _pieces(store)  # split, not kept whole
    finally:
        store.close()
