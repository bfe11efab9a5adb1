"""Today's date, as exemptions judge it: ``LOCKGATE_TODAY`` (YYYY-MM-DD) sets it for tests."""

from __future__ import annotations

import os
from datetime import date

from lockgate.errors import LockgateError

VARIABLE = "LOCKGATE_TODAY"


def today() -> date:
    """The local date, or the one ``LOCKGATE_TODAY`` names."""
    value = os.environ.get(VARIABLE)
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise LockgateError(
            f"{VARIABLE}={value!r} is not a date; set it to YYYY-MM-DD or unset it"
        ) from None
