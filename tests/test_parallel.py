"""Parallel autograde against plain serial `nbgrader autograde` on the same submissions."""
import subprocess
import sys
from pathlib import Path

import pytest

from transformer_course import cli, simulate
from transformer_course.autograde import autograde
from transformer_course.report import grade_rows

from conftest import make_course
from transformer_course.simulate import place_submission as submit

BROKEN, DIES = "sim-broken", "sim-kernel-dies"


def class_of(course, size=8):
    """A seeded class of `size` submissions, a notebook that is not JSON and one that kills its kernel."""
    reference = simulate.solutions(course)
    for student, bodies in simulate.roster(course, size).items():
        submit(course, student, bodies)
    submit(course, DIES, dict(reference, causal_mask="    import os\n    os._exit(3)"))
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
    assert len({r[0] for r in rows}) == 10
    assert all(r[3] is not None for r in rows if r[0] not in (BROKEN, DIES))


def test_failing_submissions_do_not_stop_the_others(parallel):
    course, status = parallel
    assert "NotJSONError" in status.pop(BROKEN)
    # The sandbox's SafeExecute grades a notebook whose kernel dies, keeping the checks that ran.
    assert status == {s: None for s in course.submitted_students() if s != BROKEN}


def test_regrading_is_idempotent_and_the_command_reports_each_student(parallel, capsys):
    course, _ = parallel
    before = grade_rows(course)
    assert cli.main(["--course", str(course.root), "grade", "--jobs", "2"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "  sim-perfect: graded" in lines and any(l.startswith(f"  {BROKEN}: unreadable") for l in lines)
    assert grade_rows(course) == before
