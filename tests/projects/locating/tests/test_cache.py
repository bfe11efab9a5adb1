import os
from pathlib import Path

from locating.store import StoreService


def test_caches_in_the_first_folder_of_its_search_path():
    folder = next(p for p in os.environ["APP_CACHE_PATH"].split(os.pathsep) if os.path.isdir(p))
    assert StoreService().save(Path(folder) / "cache.txt").is_file()
