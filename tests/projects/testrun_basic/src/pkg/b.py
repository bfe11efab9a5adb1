from pkg import a


def b_func():
    return a.used_by_a() + 1
