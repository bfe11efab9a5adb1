"""Slow to import: it sleeps at import time, like a module that loads a model."""

import time

time.sleep(0.4)


class SlowImportFeature:
    """Built quickly, imported slowly."""
