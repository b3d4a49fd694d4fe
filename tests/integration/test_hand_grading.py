"""Hand grading during autograding: while `grade --jobs 2` runs, a second process writes manual
scores and comments through nbgrader's Gradebook API (as formgrader does) for the students already
graded. Every manual write is there at the end, none fails ("database is locked"), and regrading
keeps them: a manual score wins over the autograder's, which nbgrader keeps beside it. The class is
graded once; the regrade takes a few of its students (the engine's `--student`), as it is the same
code for each student."""
import subprocess
import sys
import time

import pytest
from nbgrader.api import Gradebook

from transformer_course.course import Course
from transformer_course.lifecycle.release import generate

from conftest import submit_class
from test_postgres import natural_rows

pytestmark = pytest.mark.xdist_group("hand_grading")

STUDENTS = 50
REGRADED = 4  # students regraded at the end, spread over the class


def grade(course):
    return subprocess.Popen([sys.executable, "-m", "transformer_course", "--course", str(course.root), "--quiet",
                             "grade", "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def regrade(course, students):
    """The engine's `grade --student` for some students (nbgrader's autograde with force)."""
    options = [option for student in students for option in ("--student", student)]
    return subprocess.run([sys.executable, "-m", "nbgrader_sandbox", "grade", course.assignment, "--course",
                           str(course.root), "--jobs", "2", "--quiet", *options], capture_output=True, text=True)


def hand_grade(url, assignment, student):
    """What formgrader does for one student: a manual score on the last check, a comment on the
    first answer; returns what it wrote."""
    with Gradebook(url) as gradebook:
        notebook = gradebook.find_notebook("exercises", assignment)
        check, answer = notebook.grade_cells[-1].name, notebook.solution_cells[0].name
        grade_ = gradebook.find_grade(check, "exercises", assignment, student)
        grade_.manual_score = 0.5
        gradebook.find_comment(answer, "exercises", assignment, student).manual_comment = f"see me, {student}"
        gradebook.db.commit()
    return check, answer


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_manual_grades_written_during_autograding_all_survive(database, request, tmp_path, monkeypatch):
    if database == "postgres":
        monkeypatch.setenv("NBGRADER_DB_URL", request.getfixturevalue("postgres").create_database(f"hand_{tmp_path.name}"))
    course = Course.scratch(tmp_path / "course")
    generate(course)
    submit_class(course, STUDENTS, 13)
    url = course.config.CourseDirectory.db_url
    run, written, ungraded = grade(course), {}, []
    while run.poll() is None:
        graded = list(course.root.glob(f"autograded/*/{course.assignment}/exercises.ipynb"))
        for notebook in graded:
            student = notebook.parts[-3]
            if student not in written:
                written[student] = hand_grade(url, course.assignment, student)
                ungraded.append(STUDENTS - len(graded))
        time.sleep(0.05)
    assert run.returncode == 0, run.stdout.read()
    assert max(ungraded, default=0) > 0  # written while other students were still being graded
    for student in sorted(set(course.submitted_students()) - set(written)):
        written[student] = hand_grade(url, course.assignment, student)

    def manual():
        """{student: (manual score, score, needs manual grade, manual comment, auto score, auto comment)}"""
        with Gradebook(url) as gradebook:
            found = {}
            for student, (check, answer) in written.items():
                grade_ = gradebook.find_grade(check, "exercises", course.assignment, student)
                comment = gradebook.find_comment(answer, "exercises", course.assignment, student)
                found[student] = (grade_.manual_score, grade_.score, grade_.needs_manual_grade,
                                  comment.manual_comment, grade_.auto_score, comment.auto_comment)
            return found

    before, rows = manual(), natural_rows(url)
    for student, (manual_score, score, flagged, text, *_) in before.items():
        assert (manual_score, score, flagged, text) == (0.5, 0.5, True, f"see me, {student}"), student
    students = sorted(written)[::STUDENTS // REGRADED][:REGRADED]
    again = regrade(course, students)  # the instructor regrades: the manual grades stay, and win
    assert again.returncode == 0 and f"{REGRADED} graded" in again.stdout, again.stdout + again.stderr
    assert manual() == before
    assert natural_rows(url) == rows  # nothing else moved either
