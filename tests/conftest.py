"""Fixtures: the one scratch-course helper of the suite, and a scratch course per test worker.

Tiers: tests/unit (no kernels, seconds), tests/integration (real nbgrader and kernels on scratch
courses), tests/system (a real browser on real JupyterLab servers).
"""
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from transformer_course import BLOCKS
from transformer_course.course import Course, check, setup_environment
from transformer_course.lifecycle.database import LocalPostgres
from transformer_course.lifecycle.release import generate
from transformer_course.scoring import exercise_scores
from transformer_course.simulation import classroom

for variable in ("NBGRADER_EXCHANGE", "NBGRADER_DB_URL", "COURSE_SANDBOX", "COURSE_BACKUPS"):
    os.environ.pop(variable, None)
setup_environment()


def make_course(folder, generated=True):
    """A scratch copy of the course (`Course.scratch`) in `folder`, with the assignment generated
    into release/ and the gradebook unless `generated` is False."""
    course = Course.scratch(folder)
    if generated:
        generate(course)
    return course


def submit_class(course, size, seed):
    """The submissions of a simulated class of `size` students, placed in the course's submitted/."""
    for student, bodies in classroom.roster(course, size=size, seed=seed).items():
        classroom.place_submission(course, student, bodies)
    return course


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="session")
def reference(course):
    return classroom.solutions(course)


@pytest.fixture(scope="session")
def blocks(tmp_path_factory):
    """A scratch course with the second assignment generated."""
    course = Course(make_course(tmp_path_factory.mktemp("blocks"), generated=False).root, assignment=BLOCKS)
    generate(course)
    return course


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server of the test session (initdb + pg_ctl, Unix socket only, in a folder
    of /tmp that the postgres user can reach), always stopped; `.create_database(name)` gives a
    fresh database's URL."""
    folder = tempfile.mkdtemp(prefix="pg-")
    os.chmod(folder, 0o755)
    server = LocalPostgres(Path(folder) / "server")
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def grade(course, student, bodies):
    """Submit and autograde with real nbgrader; return {exercise: (score, max)}."""
    classroom.place_submission(course, student, bodies)
    check(course.api().autograde(course.assignment, student), f"autograde {student}")
    with course.gradebook() as gradebook:
        return exercise_scores(gradebook, course.assignment, student)
