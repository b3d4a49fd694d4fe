"""Fixtures: a scratch copy of the course, generated with real nbgrader, one per test worker."""
import os

import pytest

from transformer_course import simulate
from transformer_course.course import Course, check
from transformer_course.exporters import exercise_scores
from transformer_course.release import generate

os.environ.pop("NBGRADER_EXCHANGE", None)
os.environ.pop("NBGRADER_DB_URL", None)


def make_course(folder):
    """A scratch copy of the course with the assignment generated."""
    course = Course.scratch(folder)
    generate(course)
    return course


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="session")
def reference(course):
    return simulate.solutions(course)


def grade(course, student, bodies):
    """Submit and autograde with real nbgrader; return {exercise: (score, max)}."""
    simulate.place_submission(course, student, bodies)
    check(course.api().autograde(course.assignment, student), f"autograde {student}")
    with course.gradebook() as gradebook:
        return exercise_scores(gradebook, course.assignment, student)
