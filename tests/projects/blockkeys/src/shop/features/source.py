import inspect

from shop import text


class SourceService:
    """Source text."""

    def run(self):
        return inspect.getsource(text.source_me)
