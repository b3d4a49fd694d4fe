"""Parallel autograde against plain serial `nbgrader autograde` on the same submissions."""
import subprocess
import sys
from pathlib import Path

import pytest

from transformer_course import simulate
from transformer_course.autograde import autograde
from transformer_course.report import grade_rows

from conftest import make_course, submit

BROKEN = "sim-broken"


def class_of(course, size=8):
    """A seeded class of `size` submissions plus one notebook that is not JSON."""
    for student, bodies in simulate.roster(course, size).items():
        submit(course, student, bodies)
    submit(course, BROKEN, {}).joinpath(course.notebook("release").name).write_text("not a notebook")


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("serial"))
    class_of(course)
    nbgrader = Path(sys.executable).parent / "nbgrader"
    subprocess.run([nbgrader, "autograde", course.assignment], cwd=course.root, capture_output=True)
    return course


@pytest.fixture(scope="module")
def parallel(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("parallel"))
    class_of(course)
    return course, autograde(course, jobs=2)


def test_same_gradebook_as_serial_nbgrader(serial, parallel):
    course, _ = parallel
    rows = grade_rows(course)
    assert rows == grade_rows(serial)
    assert len({r[0] for r in rows}) == 9 and all(r[3] is not None for r in rows if r[0] != BROKEN)


def test_broken_submission_does_not_stop_the_others(parallel):
    course, status = parallel
    assert "NotJSONError" in status.pop(BROKEN)
    assert status == {s: None for s in course.submitted_students() if s != BROKEN}


def test_regrading_is_idempotent(parallel):
    course, _ = parallel
    before = grade_rows(course)
    status = autograde(course, ["sim-perfect", "sim-001", BROKEN], jobs=2)
    assert [s for s, reason in status.items() if reason] == [BROKEN]
    assert grade_rows(course) == before
