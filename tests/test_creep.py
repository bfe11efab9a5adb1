"""Red team: a pull request must not be able to poison what the main branch reads (CREEP).

Nx's CVE-2025-36852: a pull-request job whose inputs hash like main's uploads first, and main
then ships the pull request's artifact. Here the pull-request job has every credential such a
job can hold: the shared HMAC secret, write access to the remote, main's public key, a key
pair of its own, and a modified workflow (any scope, any configuration of its own). Main's
configuration trusts the scope ``main`` signed by main's key only. Main must serve **0** of
the pull request's entries, and a pull request's re-run must still reuse its own.

The remote is a shared folder: the attacks write its files directly, as anyone with write
access can (``<root>/<name[:2]>/<name>.v/<variant>``, ``<name>`` being the key and a tag of
the scope, see lockgate.remote.trust.scoped_name).
"""

from __future__ import annotations

import base64
import json
import shutil
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Run, copy_project, git, isolated_env, lockgate

pytest.importorskip("cryptography", reason="Ed25519 signatures: pip install 'lockgate[sign]'")

from lockgate.remote import tree
from lockgate.remote.entry import seal, unseal
from lockgate.remote.parsed import VARIANT as PARSED_VARIANT
from lockgate.remote.shared import VARIANT as SHARED_VARIANT
from lockgate.remote.tree import VARIANT as TREE_VARIANT
from lockgate.remote.trust import Trust, new_pair, scoped_name

SECRET = "the-shared-hmac-secret-every-job-holds"
RESULTS = 12  # of the docs_config project


@dataclass
class Setup:
    root: Path
    share: Path
    main_key: str  # LOCKGATE_REMOTE_SIGNING_KEY of main's jobs
    main_public: str
    pr_key: str  # the pull request's own pair
    pr_public: str
    first: Run  # the pull request's run: inputs identical to main's

    def env(self, scope: str | None = None, key: str | None = None) -> dict[str, str]:
        """A job's environment: the remote, the shared secret, and a scope and key if any."""
        out = {"LOCKGATE_REMOTE": self.share.as_uri(), "LOCKGATE_REMOTE_KEY": SECRET}
        if scope is not None:
            out["LOCKGATE_REMOTE_SCOPE"] = scope
        if key is not None:
            out["LOCKGATE_REMOTE_SIGNING_KEY"] = key
        return out

    def clone(self) -> Path:
        shutil.rmtree(self.root / ".lockgate", ignore_errors=True)
        return self.root

    def pull(self, scope: str, key: str | None = None) -> Run:
        """A fresh clone's `cache pull` in ``scope``."""
        return lockgate("cache", "pull", self.clone(), "--json", env=self.env(scope, key))


def _raw(text: str) -> bytes:
    return base64.b64decode(text)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    with isolated_env(tmp_path_factory):
        keygen = lockgate("cache", "keygen")
        assert keygen.code == 0, keygen.stderr
        lines = keygen.stdout.splitlines()
        main_key = next(ln for ln in lines if ln.startswith("LOCKGATE_REMOTE_SIGNING_KEY="))
        config = next(ln for ln in lines if ln.startswith("public_keys = "))
        main_public = json.loads(config.partition("=")[2])[0]
        pr_key, pr_public = new_pair()
        root = copy_project("docs_config", tmp_path_factory.mktemp("repo"), commit=False)
        with (root / "pyproject.toml").open("a") as fh:
            fh.write(f'\n[tool.lockgate.remote]\ntrusted_scopes = ["main"]\n{config}\n')
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "main trusts its own key for the scope main")
        share = tmp_path_factory.mktemp("share")
        first = lockgate("align", root, "--json", "-q", "--no-remote")
        assert first.code == 0, first.stderr
        yield Setup(root, share, main_key.partition("=")[2], main_public, pr_key, pr_public, first)


def _entries(
    share: Path, scope: str, parse_facts: bool = False, trees: bool = False
) -> dict[tuple[str, str], Path]:
    """(key, variant) → file, of every result's entry the share holds in ``scope`` (with
    ``parse_facts``: of every parse fact instead; with ``trees``: of every tree's record);
    not the probe sets stored apart, which only an entry that verifies makes a reader fetch
    (and whose texts must hash to their names)."""
    tag = scoped_name("", scope)
    wanted = PARSED_VARIANT if parse_facts else TREE_VARIANT if trees else None
    return {
        (folder.name.removesuffix(".v").removesuffix(tag), path.name): path
        for folder in share.glob("*/*.v")
        if folder.name.endswith(f"{tag}.v")
        for path in folder.iterdir()
        if path.name != SHARED_VARIANT
        and (path.name == wanted if wanted else path.name not in (PARSED_VARIANT, TREE_VARIANT))
    }


def _put(share: Path, scope: str, key: str, variant: str, data: bytes) -> None:
    name = scoped_name(key, scope)
    folder = share / name[:2] / f"{name}.v"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / variant).write_bytes(data)


def verdicts(run: Run) -> dict[str, bool]:
    assert run.code == 0, run.stderr
    return {
        f"{f['id']}/{n}": x["passed"] for f in run.json["features"] for n, x in f["layers"].items()
    }


def test_main_serves_none_of_a_pull_requests_entries(setup: Setup) -> None:
    share, root = setup.share, setup.root
    # the pull request's job writes its own scope first, signed with its own key
    pr = setup.env("pr-7", setup.pr_key)
    pushed = lockgate("cache", "push", root, "--json", env=pr)
    assert pushed.json == {"pushed": RESULTS, "skipped": 0, "remote_errors": 0}, pushed.stderr
    # a re-run of the pull request after a push that changed nothing reuses its own scope
    # (main's is empty: these can only be the pull request's)
    rerun = lockgate("align", setup.clone(), "--json", "-q", env=pr)
    assert rerun.json["summary"]["cache"]["remote_hits"] == RESULTS, rerun.stderr
    assert verdicts(rerun) == verdicts(setup.first)

    # lockgate itself refuses to write main's scope for it...
    forged = lockgate("cache", "push", root, env=setup.env("main", setup.pr_key))
    assert forged.code == 2 and "not among public_keys" in forged.stderr
    unsigned = lockgate("cache", "push", root, env=setup.env("main"))
    assert unsigned.code == 1 and "reads only" in unsigned.stderr
    # ...so the modified workflow edits its own configuration to trust its key, and writes
    # main's scope with it
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text.replace(setup.main_public, setup.pr_public))
    try:
        poisoned = lockgate("cache", "push", root, "--json", env=setup.env("main", setup.pr_key))
    finally:
        pyproject.write_text(text)
    assert poisoned.json["pushed"] == RESULTS, poisoned.stderr
    assert len(_entries(share, "main")) == RESULTS

    # and, key by key, every other entry a pull-request job can make for main's scope
    own = Trust(SECRET.encode(), "pr-7", (), (), _raw(setup.pr_key))
    opened = {
        where: unseal(own, "pr-7", where[0], path.read_bytes())
        for where, path in _entries(share, "pr-7").items()
    }
    assert all(e is not None for e in opened.values())
    makers = [
        # the pull request's own entry, replayed into main's scope byte for byte
        lambda key, variant, entry: _entries(share, "pr-7")[(key, variant)].read_bytes(),
        # sealed for main's scope with the HMAC secret every job holds
        lambda key, variant, entry: seal(Trust(SECRET.encode(), "main"), "main", entry),
        # "signed" with main's public key used as a private one (all a reader holds)
        lambda key, variant, entry: seal(
            Trust(None, "main", (), (), _raw(setup.main_public)), "main", entry
        ),
        # main's key id beside the pull request's signature
        lambda key, variant, entry: _renamed(
            seal(Trust(None, "main", (), (), _raw(setup.pr_key)), "main", entry),
            setup.main_public,
        ),
        # unscoped, as before scopes, under the shared secret
        lambda key, variant, entry: seal(Trust(SECRET.encode()), None, entry),
        # main's own format with a verdict flipped behind its back
        lambda key, variant, entry: _flipped(_entries(share, "main")[(key, variant)].read_bytes()),
    ]
    for i, ((key, variant), entry) in enumerate(sorted(opened.items())):
        assert entry is not None
        _put(share, "main", key, variant, makers[i % len(makers)](key, variant, entry))
    # and the parse facts the pull request's re-run wrote, replayed into main's scope: they
    # decide features and imports, so keys, and are refused as results are
    facts = _entries(share, "pr-7", parse_facts=True)
    assert facts
    for (name, variant), path in facts.items():
        _put(share, "main", name, variant, path.read_bytes())
    # and the record of the whole tree the pull request's re-run wrote (lockgate/remote/
    # tree.py), replayed into main's scope: main's tree has the same name, and the record
    # would serve it whole
    trees = _entries(share, "pr-7", trees=True)
    assert len(trees) == 1
    ((tree_name, tree_variant), tree_path), *_ = trees.items()
    _put(share, "main", tree_name, tree_variant, tree_path.read_bytes())
    # main: a fresh clone reads none of it, runs everything, and writes its own
    main = setup.env("main", setup.main_key)
    # another pull request's job never reads pr-7's entries, though they are signed for it
    other = setup.pull("pr-8", setup.pr_key)
    assert other.json["pulled"] == 0
    run = lockgate("align", setup.clone(), "--json", "-q", env=main)
    cache = run.json["summary"]["cache"]
    assert cache["remote_hits"] == 0 and cache["misses"] == RESULTS, run.stderr
    assert cache["remote_errors"] == RESULTS + len(facts) + len(trees), run.stderr
    assert "failed verification" in run.stderr
    assert "validated before on this tree" not in run.stderr
    assert verdicts(run) == verdicts(setup.first)
    # the pull request's record sealed for main's scope with what a pull request holds: the
    # shared secret, main's public key as a private one; each alone, on a fresh clone
    record = tree.unseal(own, "pr-7", tree_name, tree_path.read_bytes())
    assert record is not None
    for forger in (
        Trust(SECRET.encode(), "main"),
        Trust(None, "main", (), (), _raw(setup.main_public)),
    ):
        _put(share, "main", tree_name, tree_variant, tree.seal(forger, "main", tree_name, record))
        forged = lockgate("align", setup.clone(), "--json", "-q", env=main)
        assert "validated before on this tree" not in forged.stderr
        assert forged.json["summary"]["cache"]["remote_errors"] >= 1, forged.stderr
        assert verdicts(forged) == verdicts(setup.first)

    # what main signed is served to main and to every pull request (its base)
    assert setup.pull("main", setup.main_key).json["pulled"] == RESULTS
    reader = setup.pull("pr-8")  # no signing key at all: a reader holds public keys only
    assert reader.json == {"pulled": RESULTS, "already_stored": 0, "remote_errors": 0}


def _flipped(data: bytes) -> bytes:
    """``data`` with its verdict flipped and its signature line kept."""
    line, _, payload = data.partition(b"\n")
    body = json.loads(zlib.decompress(payload))
    body["passed"] = not body["passed"]
    return line + b"\n" + zlib.compress(json.dumps(body, sort_keys=True).encode())


def _renamed(data: bytes, public: str) -> bytes:
    """``data`` with its signature line naming the key ``public`` instead."""
    from lockgate.remote.trust import key_id

    line, _, payload = data.partition(b"\n")
    kind, _, signature = line.split(b" ")
    return b" ".join([kind, key_id(_raw(public)).encode(), signature]) + b"\n" + payload
