"""Helpers that reach a plugin lazily."""


def describe(value: int) -> str:
    """A label for ``value``."""
    from shop.plugins import beta

    return beta.BetaPlugin().label(value)
