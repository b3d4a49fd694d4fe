"""A full disk is told apart from other failures (coursedir.disk_full): a write to /dev/full (ENOSPC),
SQLite's SQLITE_FULL (a database capped by max_page_count), and the text nbgrader logs of either."""
import sqlite3
import traceback
from contextlib import closing

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from traitlets.config import Config

from nbgrader_sandbox.coursedir import disk_full, disk_full_error


def raised(action):
    try:
        action()
    except Exception as error:
        return error
    raise AssertionError("nothing raised")


def write_to_full():
    with open("/dev/full", "wb", buffering=0) as handle:
        handle.write(b"x")


def test_enospc_and_its_traceback_are_a_full_disk():
    error = raised(write_to_full)
    assert disk_full(error)
    assert disk_full("".join(traceback.format_exception(error)))  # as nbgrader's log holds it


def test_sqlite_full_through_sqlalchemy_is_a_full_disk(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'small.db'}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x TEXT)"))

        def overflow():
            with engine.begin() as connection:
                connection.execute(text("PRAGMA max_page_count = 3"))
                for _ in range(100):
                    connection.execute(text("INSERT INTO t VALUES (:x)"), {"x": "x" * 4000})

        error = raised(overflow)
    finally:
        engine.dispose()
    assert isinstance(error, OperationalError) and disk_full(error)
    with closing(sqlite3.connect(tmp_path / "small.db")) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize("other", [FileNotFoundError(2, "No such file or directory"), PermissionError(13, "denied"),
                                   "sqlite3.OperationalError: database is locked", None])
def test_other_failures_are_not(other):
    assert not disk_full(other)


def test_the_error_names_the_course_and_what_was_done(tmp_path):
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    assert str(disk_full_error(config, "grading alice")) == (
        f"the disk of {tmp_path} is full (No space left on device) while grading alice: "
        "free space and run grade again")
