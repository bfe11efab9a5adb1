"""solo: the smallest valid lockgate project."""
