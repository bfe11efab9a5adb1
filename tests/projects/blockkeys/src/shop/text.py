"""A helper whose source text a test reads."""


def source_me():
    # five
    return 5
