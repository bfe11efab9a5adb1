"""The ``solo`` script."""

import sys

from solo.features.echo import EchoFeature


def main() -> int:
    """Echo the arguments."""
    print(EchoFeature().say(" ".join(sys.argv[1:])))
    return 0
