import os
from pathlib import Path

from locating.store import StoreService


def test_saves_its_database_under_the_app_root():
    path = StoreService().save(Path(os.environ["APP_ROOT"]) / "data.db")
    assert path.read_text(encoding="utf-8") == "rows\n"
