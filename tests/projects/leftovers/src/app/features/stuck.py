"""A module whose import starts processes, then never ends."""

import time

from app.spawn import sleepers

_SLEEPERS = sleepers("stuck")
time.sleep(3600)


class StuckService:
    """Never imported to the end."""

    def answer(self) -> int:
        return 7
