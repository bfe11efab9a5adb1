"""Helpers."""


def used():
    return 1


def unused():
    return "nobody calls this"
