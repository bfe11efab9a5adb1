"""Extensions and their shared base."""


class BaseExt:
    """Concrete, but only a base: the feature table excludes it."""

    def name(self) -> str:
        return type(self).__name__


class LogExt(BaseExt):
    def level(self) -> str:
        return "info"


class StatsExt(BaseExt):
    """Documented in its docstring, not in the guide."""

    def count(self) -> int:
        return 0
