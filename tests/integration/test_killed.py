"""Grading that is killed: `grade` killed with SIGKILL (the command and its workers, as a crash
would) after k of N students, k drawn at random, then run again; or one of its workers killed (as
the OOM killer would) while it runs: either way the class ends graded, with a gradebook identical
to an uninterrupted run's (row for row, surrogate ids aside), on SQLite and on PostgreSQL."""
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import psutil
import pytest

from transformer_course.course import Course
from transformer_course.lifecycle.release import generate

from conftest import submit_class
from test_postgres import natural_rows

pytestmark = pytest.mark.xdist_group("killed")  # one worker grades the uninterrupted class once

STUDENTS = 6


def grade_command(course, env=None):
    return subprocess.Popen([sys.executable, "-m", "transformer_course", "--course", str(course.root), "--quiet",
                             "grade", "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, **(env or {})}, start_new_session=True)


def graded(course):
    return len(list(course.root.glob(f"autograded/*/{course.assignment}/*.ipynb")))


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """A class graded by one `grade` that nothing interrupts."""
    course = Course.scratch(tmp_path_factory.mktemp("uninterrupted"))
    generate(course)
    submit_class(course, STUDENTS, 11)
    run = grade_command(course)
    assert run.wait(timeout=600) == 0, run.stdout.read()
    return course


def grading(uninterrupted, database, request, tmp_path, monkeypatch):
    """A new course with the uninterrupted class's submissions, on `database`, and a `grade` that has
    graded at least k of them (k drawn at random), still running unless it was already done."""
    if database == "postgres":  # as the instructor does: nbgrader_config.py reads it
        monkeypatch.setenv("NBGRADER_DB_URL", request.getfixturevalue("postgres").create_database(f"killed_{tmp_path.name}"))
    course = Course.scratch(tmp_path / "course")
    generate(course)
    shutil.copytree(uninterrupted.root / "submitted", course.root / "submitted")
    k = random.randint(1, STUDENTS - 2)
    print(f"interrupting grade after {k} of {STUDENTS} students ({database})")
    run = grade_command(course)
    deadline = time.monotonic() + 600
    while graded(course) < k and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return course, run, k


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_grade_killed_after_k_students_then_run_again(uninterrupted, database, request, tmp_path, monkeypatch):
    course, run, k = grading(uninterrupted, database, request, tmp_path, monkeypatch)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert k <= graded(course) < STUDENTS, "the kill came too late to test anything"
    again = grade_command(course)
    output = again.communicate(timeout=600)[0]
    assert again.returncode == 0, output
    url = course.config.CourseDirectory.db_url
    rows = natural_rows(url)
    assert len(rows["submitted_assignment"]) == STUDENTS
    assert rows == natural_rows(uninterrupted.config.CourseDirectory.db_url)
    if database == "sqlite":
        assert not (course.root / "gradebook.db-journal").exists()
        with sqlite3.connect(course.root / "gradebook.db") as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def workers(run):
    """The grading worker processes of a `grade` command (multiprocessing's spawned children)."""
    return [p for p in psutil.Process(run.pid).children()
            if "spawn_main" in " ".join(p.cmdline()) and "resource_tracker" not in " ".join(p.cmdline())]


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_a_worker_killed_mid_class_costs_no_student(uninterrupted, database, request, tmp_path, monkeypatch):
    course, run, k = grading(uninterrupted, database, request, tmp_path, monkeypatch)
    assert graded(course) < STUDENTS, "the kill came too late to test anything"
    random.choice(workers(run)).kill()
    output = run.communicate(timeout=600)[0]
    assert run.returncode == 0, output
    assert natural_rows(course.config.CourseDirectory.db_url) == natural_rows(uninterrupted.config.CourseDirectory.db_url)
