"""Echo: repeat what was said."""


class EchoFeature:
    """Returns its input, optionally shouted."""

    def __init__(self, loud: bool = False) -> None:
        self.loud = loud

    def say(self, text: str) -> str:
        """``text``, upper-cased when loud."""
        return text.upper() if self.loud else text
