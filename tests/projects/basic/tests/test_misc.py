"""Tests of the money helper only: this file belongs to no feature."""

from shop.money import cents, fmt


def test_round_trip():
    assert cents("12.34") == 1234
    assert cents("7") == 700
    assert fmt(cents("0.05")) == "0.05"
