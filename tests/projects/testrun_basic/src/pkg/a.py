def used_by_a():
    return 1


def used_by_b_only():
    x = 2
    return x
