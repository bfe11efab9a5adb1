"""Accents."""


def greeting() -> str:
    return "cafe"
