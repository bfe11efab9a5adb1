"""The dashboard page, from a template at the project root."""

from pathlib import Path

from jinja2 import Environment, FileSystemLoader

ROOT = Path(__file__).resolve().parents[2]


class DashboardView:
    """Renders templates/dashboard.html.j2."""

    def __init__(self) -> None:
        self.env = Environment(loader=FileSystemLoader(str(ROOT / "templates")))

    def render(self, user: str, items: list[str]) -> str:
        return self.env.get_template("dashboard.html.j2").render(user=user, items=items)
