"""Run by a process a test starts; the test process only imports it."""


def f():
    return 1
