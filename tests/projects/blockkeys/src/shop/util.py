"""Helpers: each feature's tests run some of them."""

import functools


def twice(function):
    """A decorator that doubles a result."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return function(*args, **kwargs) * 2

    return wrapper


def add(a, b):
    # adds
    return a + b


def mul(a, b):
    return a * b


def unused():
    return "nobody calls this"


def greet(name="world"):
    return f"hi {name}"


@twice
def doubled():
    return 21


@functools.cache
def rate():
    return 2


def seed():
    return 7


def make_table():
    return {"size": 3}


class Config:
    size = 3


def documented():
    """Doc text."""
    return 0
