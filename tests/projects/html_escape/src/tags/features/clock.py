"""A widget whose constructor fails with HTML in its message."""


class ClockWidget:
    """Shows the time <b>bold</b>."""

    def __init__(self) -> None:
        raise RuntimeError("<script>alert('boom')</script><img src=x onerror=alert(2)>")
