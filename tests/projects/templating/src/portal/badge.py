"""A badge, from a template inside the package (under a src root)."""

from pathlib import Path

from jinja2 import Environment, FileSystemLoader

HERE = Path(__file__).resolve().parent


class BadgeView:
    """Renders portal/templates/badge.txt."""

    def __init__(self) -> None:
        self.env = Environment(loader=FileSystemLoader(str(HERE / "templates")))

    def render(self, label: str) -> str:
        return self.env.get_template("badge.txt").render(label=label)
