"""args: the constructor needs host and a keyword-only token; port has a default."""


class ArgsGadget:
    """A client for ``host:port``."""

    def __init__(self, host: str, port: int = 80, *, token: str) -> None:
        self.address = f"{host}:{port}"
        self.token = token
