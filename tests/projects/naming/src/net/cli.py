"""The ``net`` script."""

import sys

from net.agents.http_client import HTTPClientAgent


def main() -> int:
    """Print the request line for the path given as the first argument."""
    print(HTTPClientAgent().request_line(sys.argv[1] if len(sys.argv) > 1 else "/"))
    return 0
