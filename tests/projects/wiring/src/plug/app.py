"""The application entry module (``wiring.entry_modules``)."""

from plug import registry


def main() -> int:
    """Render every registered widget."""
    for widget in registry.WIDGETS:
        print(widget().render())
    return 0
