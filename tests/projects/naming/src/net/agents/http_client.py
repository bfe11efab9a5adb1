"""http_client: builds HTTP request lines."""


class HTTPClientAgent:
    """Builds the request line of an HTTP GET."""

    def __init__(self, host: str = "example.invalid") -> None:
        self.host = host

    def request_line(self, path: str) -> str:
        """The request line for ``path``."""
        return f"GET {path} HTTP/1.1"
