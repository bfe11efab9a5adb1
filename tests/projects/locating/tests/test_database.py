import os
import sqlite3


def test_opens_the_database_its_url_names():
    path = os.environ["APP_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS rows (x)")
