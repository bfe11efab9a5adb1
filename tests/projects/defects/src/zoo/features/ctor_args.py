"""ctor_args: the constructor needs (host, port) and no factory is configured (deliberate defect scenario)."""


class CtorArgsFeature:
    """A client for a server at ``host:port``."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    def address(self) -> str:
        """``host:port``."""
        return f"{self.host}:{self.port}"
