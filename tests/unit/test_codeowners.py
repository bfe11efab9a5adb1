"""CODEOWNERS in GitHub's and GitLab's syntax (policy/codeowners.py)."""

from __future__ import annotations

from lockgate.policy.codeowners import parse

GITHUB = """\
# the default owners
*       @acme/core
*.md    @acme/docs      # docs anywhere
/src/shop/features/cart.py  @acme/checkout alice@example.com
docs/*  @acme/writers
apps/   @acme/apps
/build/logs/ @acme/ops
src/shop/legacy.py
"""


def test_github_the_last_matching_line_wins() -> None:
    table = parse(GITHUB, "CODEOWNERS")
    assert table.warnings == ()
    assert table.owners("src/shop/features/cart.py") == ("@acme/checkout", "alice@example.com")
    assert table.owners("src/shop/features/catalog.py") == ("@acme/core",)
    assert table.owners("README.md") == ("@acme/docs",)
    assert table.owners("src/README.md") == ("@acme/docs",)
    # a line without owners leaves its files unowned
    assert table.owners("src/shop/legacy.py") == ()


def test_github_folders_and_single_level_stars() -> None:
    table = parse(GITHUB, "CODEOWNERS")
    assert table.owners("docs/intro.txt") == ("@acme/writers",)
    assert table.owners("docs/deep/intro.txt") == ("@acme/core",)  # docs/* is one level
    assert table.owners("apps/a/b/c.py") == ("@acme/apps",)
    assert table.owners("x/apps/c.py") == ("@acme/apps",)  # apps/ anywhere
    assert table.owners("build/logs/today/run.log") == ("@acme/ops",)
    assert table.owners("src/build/logs/run.log") == ("@acme/core",)  # /build is rooted


GITLAB = """\
* @acme/core

[Docs] @acme/docs
*.md
guides/ @acme/guides

^[Security][2] @acme/security
src/shop/features/cart.py
"""


def test_gitlab_sections_combine_and_use_their_default_owners() -> None:
    table = parse(GITLAB, ".gitlab/CODEOWNERS")
    assert table.warnings == ()
    assert table.owners("src/shop/features/cart.py") == ("@acme/core", "@acme/security")
    assert table.owners("README.md") == ("@acme/core", "@acme/docs")
    assert table.owners("guides/a.md") == ("@acme/core", "@acme/guides")
    assert table.owners("src/shop/features/catalog.py") == ("@acme/core",)


def test_a_malformed_line_is_a_warning_and_ignored() -> None:
    table = parse("* @acme/core\nsrc/ not-an-owner\n!src/x.py @acme/x\n", "CODEOWNERS")
    assert table.warnings == (
        "CODEOWNERS:2: 'not-an-owner' is no owner (@user, @org/team or an email); line ignored",
        "CODEOWNERS:3: '!src/x.py': negated patterns are not CODEOWNERS syntax; line ignored",
    )
    assert table.owners("src/a.py") == ("@acme/core",)


def test_an_escaped_space_and_hash_belong_to_the_pattern() -> None:
    table = parse("my\\ file.py @acme/a\n\\#notes.txt @acme/b\n", "CODEOWNERS")
    assert table.owners("my file.py") == ("@acme/a",)
    assert table.owners("#notes.txt") == ("@acme/b",)
