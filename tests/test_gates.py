"""The deploy gates: each one passing and failing, on plain data and real file contents."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from lockgate.deploy.gates import (
    Evidence,
    GateResult,
    blocking,
    check_closure,
    examine,
    is_test_failure,
    run_gates,
)
from lockgate.deploy.secrets import secret_key
from lockgate.deploy.version import read_version
from lockgate.model import AlignResult, Feature, FeatureResult, LayerResult, SuiteResult
from lockgate.project.config import Config

AWS_KEY = b'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"\n'
PRIVATE_KEY = (
    b"-----BEGIN RSA PRIVATE KEY-----\n"
    b"MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi\n"
    b"-----END RSA PRIVATE KEY-----\n"
)
CERTIFICATE = (
    b"-----BEGIN CERTIFICATE-----\n"
    b"MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0B\n"
    b"-----END CERTIFICATE-----\n"
)
CLEAN = b'"""A module."""\n\nNAME = "cart"\n\n\ndef total(items):\n    return sum(items)\n'


def config(**tables: Any) -> Config:
    return Config.model_validate({"features": [{"kind": "service", "paths": ["src"]}], **tables})


def feature(
    name: str,
    score: int,
    tested: tuple[bool, str] = (True, "3 tests, 90.0% of x.py"),
    internal: bool = False,
) -> FeatureResult:
    f = Feature(
        f"app.{name.lower()}.{name}",
        name,
        "service",
        f"app.{name.lower()}",
        f"src/app/{name.lower()}.py",
        1,
        internal,
    )
    layers = {"tested": LayerResult(tested[0], tested[1], 0.1)}
    return FeatureResult(f, layers, score, "healthy" if score >= 90 else "critical")


def align(*features: FeatureResult, suite: tuple[SuiteResult, ...] = ()) -> AlignResult:
    return AlignResult("/repo", 95, list(features), [], 0, 0, 0.0, suite=list(suite))


def files(*items: tuple[str, bytes] | tuple[str, bytes, str]) -> list[tuple[str, str, str, bytes]]:
    out = []
    for item in items:
        path, data = item[0], item[1]
        mode = item[2] if len(item) == 3 else "100644"
        out.append((path, mode, f"blob-of-{path}", data))
    return out


def gate(gates: list[GateResult], name: str) -> GateResult:
    return next(g for g in gates if g.name == name)


def evidence_of(*items: tuple[str, bytes] | tuple[str, bytes, str], **tables: Any) -> Evidence:
    return examine(
        files(*items), [("pyproject.toml", b'[project]\nversion = "1.0"\n')], config(**tables).gates
    )


# -- integration -------------------------------------------------------------------------


def test_integration_passes_when_every_gated_feature_reaches_the_threshold() -> None:
    result = align(feature("Cart", 100), feature("Helper", 40, internal=True))
    got = gate(run_gates(result, config(), Evidence()), "integration")
    assert got.passed and got.severity == "error"


def test_integration_lists_each_feature_under_threshold_with_its_gap() -> None:
    result = align(feature("Cart", 83), feature("Mail", 50), feature("Ok", 96))
    got = gate(run_gates(result, config(), Evidence()), "integration")
    assert not got.passed
    assert got.detail == "2 under 95: app.mail.Mail 50 (45 under); app.cart.Cart 83 (12 under)"


# -- tests -------------------------------------------------------------------------------


def test_tests_gate_passes_with_passing_features_and_suite() -> None:
    result = align(
        feature("Cart", 100), suite=(SuiteResult("tests/test_misc.py", True, "2 tests", True),)
    )
    assert gate(run_gates(result, config(), Evidence()), "tests").passed


def test_tests_gate_names_failing_tests_of_features_and_of_the_suite() -> None:
    result = align(
        feature("Cart", 80, tested=(False, "1 of 3 tests failed: tests/test_cart.py::test_add")),
        suite=(
            SuiteResult(
                "tests/test_misc.py",
                False,
                "1 of 1 tests failed: tests/test_misc.py::test_x",
                False,
            ),
        ),
    )
    got = gate(run_gates(result, config(), Evidence()), "tests")
    assert not got.passed
    assert "tests/test_cart.py::test_add" in got.detail
    assert "tests/test_misc.py::test_x" in got.detail


@pytest.mark.parametrize(
    ("detail", "failure"),
    [
        ("no tests: no test file imports app.cart, and there is no test_cart.py", False),
        ("no test ran (all skipped or none collected)", False),
        ("4 tests pass but cover 41.0% of src/app/errors.py (needs 70%)", False),
        ("1 test passes but cover 47.1% of src/app/x.py (needs 75%)", False),
        ("4 tests ran, but coverage of src/app/cart.py could not be measured", False),
        ("2 of 4 tests failed: tests/test_cart.py::test_a, tests/test_cart.py::test_b", True),
        ("tests/test_cart.py: crashed (exit code -9)", True),
        ("tests/test_cart.py: timed out after 30s", True),
        ("something nobody anticipated", True),
    ],
)
def test_only_failing_or_crashing_tests_are_test_failures(detail: str, failure: bool) -> None:
    assert is_test_failure(False, detail) is failure
    assert is_test_failure(True, detail) is False


def test_a_feature_without_tests_is_the_integration_gates_business() -> None:
    result = align(feature("Cart", 83, tested=(False, "no tests: no test file imports app.cart")))
    gates = run_gates(result, config(), Evidence())
    assert gate(gates, "tests").passed
    assert not gate(gates, "integration").passed


# -- version -----------------------------------------------------------------------------


def test_version_files_that_agree_pass() -> None:
    got = examine(
        [],
        [
            ("VERSION", b"1.2.0\n"),
            ("pyproject.toml", b'[project]\nversion = "1.2.0"\n'),
            ("package.json", b'{"version": "1.2.0"}'),
        ],
        config().gates,
    )
    result = gate(run_gates(align(), config(), got), "version")
    assert result.passed and result.detail == "1.2.0 (VERSION, pyproject.toml, package.json)"


def test_version_drift_names_each_file_and_value() -> None:
    got = examine(
        [],
        [("VERSION", b"1.2.0\n"), ("pyproject.toml", b'[project]\nversion = "1.3.0"\n')],
        config().gates,
    )
    result = gate(run_gates(align(), config(), got), "version")
    assert not result.passed
    assert result.detail == "versions disagree: VERSION=1.2.0, pyproject.toml=1.3.0"


def test_no_version_anywhere_fails_and_says_where_it_looked() -> None:
    got = examine(
        [], [("pyproject.toml", b'[project]\nname = "x"\ndynamic = ["version"]\n')], config().gates
    )
    result = gate(run_gates(align(), config(), got), "version")
    assert not result.passed
    assert result.detail == (
        "no version found: VERSION missing, pyproject.toml has no version, package.json missing"
    )


def test_an_unreadable_version_file_fails_the_gate() -> None:
    got = examine([], [("pyproject.toml", b"[project\nversion = 1")], config().gates)
    result = gate(run_gates(align(), config(), got), "version")
    assert not result.passed and result.detail.startswith("pyproject.toml: invalid TOML")


@pytest.mark.parametrize(
    ("path", "data", "version"),
    [
        ("VERSION", b"\n 2.0.1 \n", "2.0.1"),
        ("pyproject.toml", b'[tool.poetry]\nversion = "0.9"\n', "0.9"),
        ("package.json", b'{"name": "x", "version": "3.1.4"}', "3.1.4"),
        ("setup.cfg", b"[metadata]\nname = x\nversion = 4.0\n", "4.0"),
        ("setup.cfg", b"[metadata]\nversion = attr: x.__version__\n", None),
        ("src/x/__init__.py", b'"""x."""\n__version__: str = "5.5"\n', "5.5"),
        ("src/x/__init__.py", b"import y\n__version__ = y.v\n", None),
    ],
)
def test_read_version_understands_each_kind_of_file(
    path: str, data: bytes, version: str | None
) -> None:
    assert read_version(path, data) == version


# -- purity ------------------------------------------------------------------------------


def purity(evidence: Evidence) -> GateResult:
    return gate(run_gates(align(), config(), evidence), "purity")


def test_purity_passes_on_clean_files_cert_bundles_and_env_templates() -> None:
    got = evidence_of(
        ("src/app/cart.py", CLEAN),
        ("certs/ca.pem", CERTIFICATE),
        (".env.example", b"DATABASE_URL=\n"),
        ("img/logo.png", b"\x89PNG\0\0binary"),
        ("src/app/alias", b"cart.py", "120000"),
        ("docs/up", b"../src/app/cart.py", "120000"),
    )
    assert purity(got).passed, purity(got).detail


def test_purity_blocks_an_aws_key_by_file_and_line_without_printing_it() -> None:
    got = evidence_of(("src/app/cart.py", CLEAN), ("src/app/settings.py", b"import os\n" + AWS_KEY))
    result = purity(got)
    assert not result.passed
    assert "secret: src/app/settings.py:2 (AWS Access Key)" in result.detail
    assert "AKIA" not in result.detail


def test_purity_blocks_a_private_key_in_any_file() -> None:
    result = purity(evidence_of(("deploy/notes.txt", b"key follows\n" + PRIVATE_KEY)))
    assert not result.passed and "deploy/notes.txt:2 (Private Key)" in result.detail


@pytest.mark.parametrize(
    ("path", "data", "kind"),
    [
        ("deploy/id_rsa", b"anything", "private key file"),
        ("deploy/id_ed25519.old", b"anything", "private key file"),
        ("certs/server.pem", PRIVATE_KEY, "private key file"),
        ("certs/server.key", b"\x30\x82binary", "private key file"),
        ("config/credentials.json", b"{}", "credentials file"),
        (".pypirc", b"[pypi]\n", "credentials file"),
    ],
)
def test_purity_blocks_secret_files_by_name(path: str, data: bytes, kind: str) -> None:
    result = purity(evidence_of((path, data)))
    assert not result.passed and f"secret: {path} ({kind})" in result.detail


def test_a_public_key_is_not_a_secret() -> None:
    assert purity(evidence_of(("deploy/id_rsa.pub", b"ssh-rsa AAAAB3Nza user@host\n"))).passed


def test_purity_blocks_env_files_as_dev_files_and_scans_them() -> None:
    result = purity(
        evidence_of(
            (".env", b"STRIPE_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc\n"),
            ("config/.env.production", b"DEBUG=0\n"),
        )
    )
    assert not result.passed
    assert "dev file: .env (environment file)" in result.detail
    assert "dev file: config/.env.production (environment file)" in result.detail
    assert "secret: .env:1 (Stripe Access Key)" in result.detail


@pytest.mark.parametrize("target", [b"/etc/passwd", b"../../../outside", b"../../.."])
def test_purity_blocks_links_that_leave_the_repository(target: bytes) -> None:
    result = purity(evidence_of(("src/data/passwd", target, "120000")))
    assert not result.passed
    assert f"link leaves the repository: src/data/passwd -> {target.decode()}" in result.detail


def test_an_allowlist_pragma_silences_a_known_false_positive() -> None:
    line = b'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"  # pragma: allowlist secret\n'
    assert purity(evidence_of(("src/app/settings.py", line))).passed


def test_a_pragma_on_the_line_above_still_counts_when_only_hit_lines_are_processed() -> None:
    # detect-secrets' filters read the code around a hit: that context must be the whole file's
    text = b"x = 1\n# pragma: allowlist nextline secret\n" + AWS_KEY + b"y = 2\n" + AWS_KEY
    got = evidence_of(("src/app/settings.py", text))
    assert got.secrets == ["src/app/settings.py:5 (AWS Access Key)"]


def test_known_scans_are_reused_and_new_ones_reported() -> None:
    known = {secret_key("src/a.py", "blob-of-src/a.py"): ["src/a.py:9 (Remembered)"]}
    got = examine(
        files(("src/a.py", CLEAN), ("src/b.py", AWS_KEY)), [], config().gates, known=known
    )

    assert got.secrets == ["src/a.py:9 (Remembered)", "src/b.py:1 (AWS Access Key)"]
    assert got.scanned == {
        secret_key("src/b.py", "blob-of-src/b.py"): (
            "src/b.py",
            # stored with the hashed secret (as detect-secrets hashes it) for .secrets.baseline
            [f"src/b.py:1 (AWS Access Key) {hashlib.sha1(b'AKIAIOSFODNN7EXAMPLE').hexdigest()}"],
        )
    }


def test_many_files_are_scanned_in_worker_processes_with_the_same_result() -> None:
    many = [(f"src/m{i:04}.py", CLEAN) for i in range(700)]
    many[650] = ("src/m0650.py", AWS_KEY)
    got = examine(files(*many), [], config().gates, jobs=2)
    assert got.secrets == ["src/m0650.py:1 (AWS Access Key)"]
    assert len(got.scanned) == 700


# -- mocks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        b"import mock\n",
        b"import mock as m\n",
        b"from unittest import mock\n",
        b"from unittest.mock import patch\n",
        b"import unittest.mock\n",
        b"def f():\n    from mock import MagicMock\n",
    ],
)
def test_mocks_gate_finds_every_form_of_the_import(source: bytes) -> None:
    got = evidence_of(("src/app/cart.py", CLEAN), ("src/app/service.py", b'"""s."""\n' + source))
    result = gate(run_gates(align(), config(), got), "mocks")
    assert not result.passed and result.severity == "warning"
    assert result.detail.startswith("src/app/service.py:")


def test_mocks_gate_ignores_lookalikes() -> None:
    source = b"from . import mock\nimport mockito\nfrom unittest import TestCase\nmock = 1\n"
    got = evidence_of(("src/app/service.py", source))
    assert gate(run_gates(align(), config(), got), "mocks").passed


# -- severities --------------------------------------------------------------------------


def test_off_gates_pass_with_detail_off_and_skip_their_work() -> None:
    cfg = {"gates": {"purity": "off", "mocks": "off", "version": "off"}}
    got = evidence_of((".env", AWS_KEY), ("src/app/x.py", b"import mock\n"), **cfg)
    gates = run_gates(align(feature("Cart", 10)), config(**cfg), got)

    assert [g.name for g in gates] == [
        "integration",
        "tests",
        "version",
        "purity",
        "mocks",
        "closure",
    ]
    for name in ("version", "purity", "mocks"):
        assert gate(gates, name) == GateResult(name, True, "off", "off")
    assert got.secrets == got.dev_files == got.mocks == []


def test_only_failing_error_gates_block() -> None:
    assert not blocking(
        [GateResult("mocks", False, "warning", "x"), GateResult("tests", True, "error", "")]
    )
    assert blocking([GateResult("tests", False, "error", "x")])
    warned = run_gates(
        align(feature("Cart", 10)), config(gates={"integration": "warning"}), Evidence()
    )
    assert not gate(warned, "integration").passed
    assert not blocking(g for g in warned if g.name == "integration")


# -- closure -----------------------------------------------------------------------------


def test_closure_names_every_file_that_does_not_ship_as_validated() -> None:
    got = Evidence(shipped={"src/a.py": "h-a", "src/b.py": "other", "src/new.py": "h-n"})
    got.dev_only = lambda path: path.startswith("tests/")
    inputs: dict[str, str | None] = {
        "src/a.py": "h-a",
        "src/b.py": "h-b",
        "src/new.py": None,
        "src/gone.py": None,
        "src/local_settings.py": "h-l",
        "tests/test_a.py": "h-t",
    }

    passed, detail = check_closure(inputs, got)

    assert not passed
    assert detail == (
        "src/b.py ships with other content than was validated; "
        "src/new.py was absent when validated but ships; "
        "src/local_settings.py was validated but does not ship (untracked, ignored or excluded)"
    )


def test_closure_lists_at_most_twenty_files() -> None:
    inputs: dict[str, str | None] = {f"src/m{n:02}.py": "h" for n in range(25)}
    passed, detail = check_closure(inputs, Evidence())
    assert not passed
    assert "src/m19.py" in detail and "src/m20.py" not in detail
    assert detail.endswith("; … and 5 more")


def test_closure_passes_when_everything_ships_as_validated() -> None:
    passed, detail = check_closure(
        {"src/a.py": "h", "src/b.py": None}, Evidence(shipped={"src/a.py": "h"})
    )
    assert passed and detail == "all 1 file validation depended on ships as validated"
