"""Fixtures: a scratch copy of the course, generated with real nbgrader, one per test worker."""
import os
import shutil
from pathlib import Path

import nbformat
import pytest

from transformer_course import simulate
from transformer_course.course import ROOT, Course
from transformer_course.release import generate

os.environ.pop("NBGRADER_EXCHANGE", None)
os.environ.pop("NBGRADER_DB_URL", None)


def make_course(folder):
    """Copy the course's source and configuration into `folder` and generate the assignment."""
    shutil.copytree(ROOT / "source", folder / "source")
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    course = Course(folder)
    generate(course)
    return course


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="session")
def reference(course):
    return simulate.solutions(course)


def submit(course, student, bodies):
    """Place a student's answered copy of the released notebook straight into submitted/."""
    folder = course.path("submitted", student)
    folder.mkdir(parents=True, exist_ok=True)
    nb = simulate.answer(nbformat.read(course.notebook("release"), as_version=4), bodies)
    nbformat.write(nb, folder / course.notebook("release").name)
    return folder


def grade(course, student, bodies):
    """Submit and autograde with real nbgrader; return {exercise: (score, max)}."""
    from transformer_course.course import check
    from transformer_course.exporters import exercise_scores

    submit(course, student, bodies)
    check(course.api().autograde(course.assignment, student), f"autograde {student}")
    with course.gradebook() as gradebook:
        return exercise_scores(gradebook, course.assignment, student)
