"""ctor_factory: the constructor needs an argument; [tool.lockgate.instantiate] names a factory."""


class CtorFactoryFeature:
    """Greets by name; built by ``tests.factories:make_ctor_factory``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def greet(self) -> str:
        """A greeting."""
        return f"hello {self.name}"
