"""The secret scanner finds exactly what detect-secrets finds line by line with every plugin, and
each plugin's screen names every line its regexes match (deploy/scanner.py, screens.py,
regexfacts.py)."""

from __future__ import annotations

import hashlib
import posixpath
import random
import re

import pytest
from detect_secrets.core.scan import _process_line_based_plugins
from detect_secrets.plugins.keyword import DENYLIST_REGEX
from detect_secrets.settings import default_settings, get_plugins

from lockgate.deploy.regexfacts import confined, required
from lockgate.deploy.scanner import _patterns, scan
from lockgate.deploy.screens import _FOLDS_TO_ASCII, Text, screen
from lockgate.deploy.secrets import SecretScan

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwi"
    "aWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
# One of each kind the default plugins report, then look-alikes that must not be reported (or
# must be reported the same way by both).
PLANTED = [
    'AWS_ACCESS_KEY_ID = "AKIAZ7Q2XK5B3M4N6P8R"',
    "aws_secret_access_key = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz1abcdeXY'",
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "PuTTY-User-Key-File-2: ssh-rsa",
    'blob = "c2VjcmV0LXZhbHVlLXRoYXQtaXMtbG9uZy1lbm91Z2g9PQ=="',
    "digest = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'",
    "url = 'https://admin:s3cr3tP4ss@example.com/path'",
    f"auth = '{JWT}'",
    "slack = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'",
    "hook = 'https://hooks.slack.com/services/T0A1B2C3D/B0A1B2C3D/AbCdEfGhIjKlMnOpQrStUvWx'",
    "stripe = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'",
    "restricted = 'rk_live_4eC39HqLyjWDarjtT1zdp7dc'",
    "gh = 'ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789'",
    "gl = 'glpat-aBcDeFgHiJkLmNoPqRsT'",
    'password = "hunter2-correct-horse"',
    "db_pass: 'x9!Lq-zz-Q7'",
    "API_KEY = 'f00ba4-aaaa-bbbb'",
    "PassWord = 'Tr0ub4dor&3'",
    "contraseña = 'abcdefgh1234'",
    "\u017fecret = 'abcdefghij1234'",  # a long s: "secret" to a case-blind regex
    "api_\u212aey = 'abcdefghij1234'",  # the Kelvin sign: "k" to a case-blind regex
    "twilio = 'AC0123456789abcdef0123456789abcdef'",
    "twilio_key = 'SK0123456789abcdef0123456789abcdef'",
    "chimp = '0123456789abcdef0123456789abcdef-us12'",
    "sendgrid = 'SG.aBcDeFgHiJkLmNoPqRsTuV.aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789aBcDeFg'",
    "discord = 'MTA4NjI5OTQ1MjEwMjU2NTg5Mg.GaBcDe.aBcDeFgHiJkLmNoPqRsTuVwXyZ0'",
    "telegram = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0'",
    "server = '8.8.8.8'",
    "upstream = 203.0.113.5:8080",
    "//registry.npmjs.org/:_authToken=npm_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "AccountKey=" + "aB3+" * 22,
    "pypi = 'pypi-AgEIcHlwaS5vcmc" + "aB3_" * 18 + "'",
    "openai = 'sk-aBcDeFgHiJkLmNoPqRsTuT3BlbkFJaBcDeFgHiJkLmNoPqRsTu'",
    "square = 'sq0csp-" + "aB3-" * 10 + "abc'",
    'artifactory = "AKCp8aBcDeFgHiJk"',
    'artifactory_pw: "AP6xYzAbCdEfGhIj"',
    "ibm_cloud_iam_key = 'aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_aBcDeF'",
    "ibm_cos_hmac_secret_access_key = '0123456789abcdef0123456789abcdef0123456789abcdef'",
    "softlayer_api_key = '" + "0123456789abcdef" * 4 + "'",
    "cloudant_password = '" + "0123456789abcdef" * 4 + "'",
    "https://user:" + "0123456789abcdef" * 4 + "@host-name.cloudant.com",
    "cl_pw = 'abcdefghijklmnopqrstuvwx'",
    "https://user:abcdefghijklmnopqrstuvwx@host.cloudant.com",
    "GR1348941aBcDeFgHiJkLmNoPqRsTuV",
    "glcbt-0f_aBcDeFgHiJkLmNoPqRsTuV",
    "glimt-aBcDeFgHiJkLmNoPqRsTuVwXy",
    "glptt-" + "aB3_" * 10,
    "glagent-" + "aB3_" * 13,
    "gloas-" + "aB3-" * 16,
    "-----BEGIN DSA PRIVATE KEY-----",
    "-----BEGIN EC PRIVATE KEY-----",
    "-----BEGIN PGP PRIVATE KEY BLOCK-----",
    "-----BEGIN PRIVATE KEY-----",
    "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----",
    "test_pypi = 'pypi-AgENdGVzdC5weXBpLm9yZw" + "aB3_" * 18 + "'",
    "https://api.softlayer.com/soap/v3.1/" + "0123456789abcdef" * 4,
]
LOOK_ALIKES = [
    "AKIA_SHORT = 'AKIA123'",
    "password = os.environ['PASSWORD']",
    "password = '${DB_PASSWORD}'",
    "stripe = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'",
    "gh = 'ghp_short'",
    "local = '192.168.1.1'",
    "loopback = '127.0.0.1'",
    "version = '1.2.3.4.5'",
    "uuid = '123e4567-e89b-12d3-a456-426614174000'",
    "sequence = 'abcdefghijklmnopqrstuvwxyz'",
    "name = 'Provider'  # the key of the table",
    "Ünïcödé text with ключ and пароль and 密码 and パスワード",
    "a line\twith\ttabs and 'quoted short' strings",
    "secret" * 50,
    "   ",
    "",
]
EXTENSIONS = [".py", ".yaml", ".js", ""]


def _mutants(lines: list[str], rng: random.Random, count: int) -> list[str]:
    """Lines near the planted ones: case flipped, cut, joined, a character changed."""
    out = []
    for _ in range(count):
        line = rng.choice(lines)
        chars = list(line)
        for _ in range(rng.randint(1, 3)):
            if not chars:
                break
            i = rng.randrange(len(chars))
            what = rng.random()
            if what < 0.3:
                chars[i] = chars[i].swapcase()
            elif what < 0.5:
                del chars[i]
            elif what < 0.7:
                chars.insert(i, rng.choice("aZ9_-.:='\" /+\u017f\u212a"))
            else:
                chars = chars[i:] if rng.random() < 0.5 else chars[:i]
        out.append("".join(chars))
    return out


def _files() -> list[tuple[str, str]]:
    rng = random.Random(21)
    lines = PLANTED + LOOK_ALIKES
    files = []
    for n, ext in enumerate(EXTENSIONS):
        body = lines + _mutants(lines, rng, 100)
        rng.shuffle(body)
        ending = ["\n", "\r\n", "\n"][n % 3]
        text = ending.join(body)
        if n % 2:  # one line broken by a form feed, a character splitlines splits at too
            text += "x = 'c2VjcmV0LXZhbHVl\x0cLXRoYXQtaXMtbG9uZy1lbm91Z2g9PQ'" + ending
        files.append((f"pkg/module{n}{ext}", text))
    files += [("empty.py", ""), ("one.py", PLANTED[0]), ("spaces.txt", "\n\n  \n")]
    return files


def _reference(files: list[tuple[str, str]]) -> list[list[str]]:
    """detect-secrets' own line loop: every line, every plugin, every filter."""
    out = []
    with default_settings():
        for path, text in files:
            lines = list(enumerate(text.splitlines(), start=1))
            found = {
                (s.line_number, s.type, s.secret_hash)
                for s in _process_line_based_plugins(lines, path)
            }
            out.append([f"{path}:{n} ({kind}) {hashed}" for n, kind, hashed in sorted(found)])
    return out


def test_the_scanner_finds_what_detect_secrets_finds_line_by_line() -> None:
    files = _files()
    expected = _reference(files)
    kinds = {item.split(" (")[1].split(")")[0] for found in expected for item in found}
    # every default plugin reports something in this corpus, or the comparison proves little;
    # the default filters drop every public IP (the screen test checks its raw hits)
    with default_settings():
        assert kinds == {p.secret_type for p in get_plugins()} - {"Public IP (ipv4)"}
    assert scan(files) == expected


def test_each_screen_names_every_line_its_plugin_regexes_match() -> None:
    lines = [line.rstrip() for _, text in _files() for line in text.splitlines()]
    text = Text(lines)
    with default_settings():
        for plugin in get_plugins():
            patterns = _patterns(plugin)
            found = screen(tuple(patterns))
            assert found is not None, type(plugin).__name__
            named = found.lines(text)
            for pattern in patterns:
                matched = {n for n, line in enumerate(lines) if pattern.search(line)}
                assert matched, (type(plugin).__name__, pattern.pattern)
                assert matched <= named, (type(plugin).__name__, pattern.pattern)


@pytest.mark.parametrize(
    ("pattern", "strings"),
    [
        (r"AKIA[0-9A-Z]{16}", {"AKIA" + c for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}),
        (r"[0-9]+\.[0-9]+", {c + "." for c in "0123456789"}),  # where two parts meet
        (r"(?:ghp|gho)_[A-Za-z0-9_]{36}", {"ghp_", "gho_"}),
        (r"api_?key", {"api_key", "apikey"}),
        (r"x(?=abc)yz", {"xyz"}),  # a lookahead consumes nothing
        (r"(?:ab)+cd", {"bcd"}),
        (r"(?:ab)*cd", {"cd"}),
        (r"ab|cd+", {"ab", "cd"}),
        (r"ab|cd*", {"ab", "c"}),
        (r"(?<=x)ab", {"ab"}),
        (r"ab|.+", None),  # a branch that needs nothing: the whole needs nothing
        (r"[^x]+", None),
        (r"(a)\1", {"a"}),
        (r"(?i:ab)cd", None),  # scoped flags: not modelled
        (DENYLIST_REGEX, None),  # compiled below with IGNORECASE; checked apart
    ],
)
def test_required_strings(pattern: str, strings: set[str] | None) -> None:
    if pattern == DENYLIST_REGEX:
        found = required(re.compile(pattern, re.IGNORECASE))
        assert found is not None and "password" in found and "pwd" in found
        return
    found = required(re.compile(pattern))
    assert found == (frozenset(strings) if strings is not None else None)


@pytest.mark.parametrize(
    ("pattern", "flags", "expected"),
    [
        (r"(?<![\w.])\d+\.\d+(?![\w.])", 0, True),
        (r"^key=\S+$", 0, True),
        (r"\bword\b", 0, True),
        (r"a\sb", 0, False),  # \s matches a newline
        (r"a[^b]c", 0, False),
        (r"a.c", re.DOTALL, False),
        (r"a.c", 0, True),
        (r"\Aabc", 0, False),  # \A holds at the start of the text only
        (r"abc\Z", 0, False),
        (r"(?<!\s)x", 0, False),  # a newline before a line's start would change the answer
        (r"([\'\"])([a-z]{5,})(\1)", 0, True),
    ],
)
def test_confined(pattern: str, flags: int, expected: bool) -> None:
    assert confined(re.compile(pattern, flags)) is expected


def test_the_characters_that_fold_to_ascii_are_the_ones_listed() -> None:
    """Text.lowered() trusts that no other character matches an ASCII one case-blindly, and
    that lower-casing keeps every other character one character."""
    blind = re.compile("[\x00-\x7f]", re.IGNORECASE).match
    every = "".join(map(chr, range(0x80, 0x110000)))
    folds = {c for c in every if blind(c)}
    assert folds == set(_FOLDS_TO_ASCII)
    # lower-casing keeps the length of any text without them (ASCII included)
    rest = "".join(c for c in every if c not in folds)
    assert len(rest.lower()) == len(rest)


def test_a_case_blind_screen_finds_its_strings_in_any_text() -> None:
    keyword = screen((re.compile(r"api_?key|secret", re.IGNORECASE),))
    assert keyword is not None
    lines = ["x = 1", "API_KEY = 'x'", "\u017fecret = 'x'", "ok \u0130", "Ünïcödé ApiKey", "no"]
    assert keyword.lines(Text(lines)) == {1, 2, 4}
    assert keyword.lines(Text([line for line in lines if "\u017f" not in line])) == {1, 3}


def test_a_text_queued_twice_is_scanned_once_and_found_the_same_under_each_name() -> None:
    files = _files()[:3]
    twins = [
        (f"elsewhere/package-lock/swagger{n}{posixpath.splitext(path)[1]}", text)
        for n, (path, text) in enumerate(files)
    ]
    with SecretScan(1) as queue:
        for n, (path, text) in enumerate(files + twins):
            queue.add(f"key{n}", path, text, hashlib.sha1(text.encode()).hexdigest())
        found = queue.results()
    # what a scan of each name alone finds
    assert [found[f"key{n}"] for n in range(len(files) * 2)] == [
        (path, items) for (path, _), items in zip(files + twins, scan(files + twins), strict=True)
    ]
    assert any(items for _, items in found.values())
