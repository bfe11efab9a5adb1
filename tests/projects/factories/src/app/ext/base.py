"""The construction protocol every extension follows."""


class Crawler:
    """What an extension is built from."""

    def __init__(self, name: str) -> None:
        self.name = name


class Built:
    """Mixin: built from a crawler."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "Built":
        return cls(crawler)
