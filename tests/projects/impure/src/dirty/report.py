"""A service whose tests are impure: they write into the repository they run in."""

from __future__ import annotations

from pathlib import Path


class ReportService:
    """Writes a report next to the project's data."""

    def write(self, folder: Path) -> Path:
        target = folder / "report.txt"
        target.write_text("made by a test\n", encoding="utf-8")
        return target
