"""The main job on a small simulated class: exchange, collect, autograde, feedback, CSV exports."""
import csv
import shutil

import pytest

from transformer_course import cli
from transformer_course.report import class_results

from conftest import make_course


@pytest.fixture(scope="module")
def demo_course(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("demo"))
    shutil.rmtree(course.root / "release")
    assert cli.demo(course, size=5) == 0
    return course


def test_grades_csv_has_one_row_per_student_with_gradebook_totals(demo_course):
    rows = list(csv.DictReader(open(demo_course.root / "grades.csv")))
    totals = {student: total for student, _, total, _ in class_results(demo_course)}
    assert sorted(r["student_id"] for r in rows) == sorted(totals) and len(totals) == 5
    assert {r["student_id"]: float(r["score"]) for r in rows} == totals
    assert totals["sim-perfect"] == 41 and totals["sim-blank"] == 0


def test_per_exercise_csv_adds_up_to_the_total(demo_course):
    for row in csv.DictReader(open(demo_course.root / "grades_by_exercise.csv")):
        exercises = list(row)[2:12]
        assert sum(float(row[e]) for e in exercises) == float(row["total"])
        assert row["status"] == "graded" and row["max_score"] == "41.0"


def test_feedback_html_for_every_student(demo_course):
    for student, *_ in class_results(demo_course):
        page = demo_course.root / "feedback" / student / demo_course.assignment / "exercises.html"
        assert page.exists() and "attention_weights" in page.read_text()
