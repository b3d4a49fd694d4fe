"""Backups, the parts without a course: a damaged SQLite file is told from a sound one, PostgreSQL
URLs become libpq's, the number of snapshots kept is at least one."""
import os
import sqlite3

import pytest
from traitlets import TraitError

from transformer_course.lifecycle.backup import Backups, damage, libpq


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "gradebook.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE grade (id TEXT PRIMARY KEY, score REAL)")
        connection.executemany("INSERT INTO grade VALUES (?, ?)", [(f"cell-{i:05}", i / 7) for i in range(20000)])
    connection.close()
    return path


def test_a_sound_database_has_no_damage(database):
    assert damage(database) is None


def test_a_truncated_database_is_damaged(database):
    os.truncate(database, database.stat().st_size // 2)
    assert damage(database) == "database disk image is malformed"


def test_pages_overwritten_in_the_middle_are_damage(database):
    with open(database, "r+b") as file:
        file.seek(database.stat().st_size // 2 // 4096 * 4096)
        file.write(b"\xff" * 4 * 4096)
    assert damage(database)


def test_a_file_that_is_no_database_is_damaged(tmp_path):
    path = tmp_path / "gradebook.db"
    path.write_text("not a database\n" * 200)
    assert damage(path) == "file is not a database"


def test_an_empty_file_is_damaged(tmp_path):
    path = tmp_path / "gradebook.db"
    path.touch()
    assert damage(path) == "the file is empty"


def test_postgresql_urls_become_libpq_uris_with_the_password_in_the_environment():
    conninfo, env = libpq("postgresql+psycopg://course:s3cr%40t@/course?host=/tmp/pg&port=5432")
    assert conninfo == "postgresql://course@/course?host=%2Ftmp%2Fpg&port=5432"
    assert env["PGPASSWORD"] == "s3cr@t"


def test_at_least_one_snapshot_is_kept():
    assert Backups().keep == 5
    with pytest.raises(TraitError):
        Backups(keep=0)
