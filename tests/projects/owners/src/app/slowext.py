"""An extension whose test is slow."""


class SlowExt:
    """Its test takes longer than its file's time limit."""

    def wait(self) -> float:
        return 3.0
