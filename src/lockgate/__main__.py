"""``python -m lockgate``."""

from __future__ import annotations

from lockgate.cli import main

if __name__ == "__main__":
    main()
