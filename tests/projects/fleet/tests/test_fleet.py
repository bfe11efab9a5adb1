"""A test of the package itself: a test file of no feature, for the page's suite section.

It must not load the feature modules: a test file that loads one belongs to its features once
it has run (run-time owners, issue 11)."""

from __future__ import annotations

import fleet.features


def test_the_features_package_is_documented() -> None:
    assert fleet.features.__doc__
