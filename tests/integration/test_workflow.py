"""The instructor's workflow end to end on a scratch course: roster, exchange (with a late
submission), LMS zip downloads, autograde, feedback, exports and report."""
import csv
import datetime
import re
import zipfile

import pytest

from transformer_course import EXERCISES
from transformer_course.course import Course, CourseError
from transformer_course.lifecycle.collect import collect
from transformer_course.lifecycle.export import export_all
from transformer_course.lifecycle.feedback import feedback
from transformer_course.lifecycle.grade import grade
from transformer_course.lifecycle.lms import zip_collect
from transformer_course.lifecycle.release import release, set_due
from transformer_course.lifecycle.roster import import_roster, write_roster
from transformer_course.report import report
from transformer_course.simulation import classroom

from conftest import make_course

pytestmark = pytest.mark.xdist_group("workflow")  # one worker builds the course once

ROSTER = [
    {"id": "s-ada", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.edu", "lms_id": "20001"},
    {"id": "s-alan", "first_name": "Alan", "last_name": "Turing", "email": "alan@example.edu", "lms_id": "20002"},
    {"id": "s-grace", "first_name": "Grace", "last_name": "Hopper", "email": "grace@example.edu", "lms_id": "20003"},
    {"id": "s-late", "first_name": "Siobhán", "last_name": "O'Neil", "email": "siobhan@example.edu", "lms_id": "20004"},
    {"id": "s-canvas", "first_name": "Mary Jo", "last_name": "Smith-Jones", "email": "mj@example.edu", "lms_id": "20005"},
    {"id": "s-moodle", "first_name": "José", "last_name": "García López", "email": "jose@example.edu", "lms_id": "30006"},
    {"id": "s-absent", "first_name": "Ken", "last_name": "Thompson", "email": "ken@example.edu", "lms_id": "20007"},
]
EXCHANGE = ["s-ada", "s-alan", "s-grace"]
CANVAS_ID = "4242"


def notebook_text(course, bodies):
    import nbformat

    nb = classroom.answer(nbformat.read(course.notebook("release"), as_version=4), bodies)
    return nbformat.writes(nb)


@pytest.fixture(scope="module")
def lms_zips(tmp_path_factory, workflow_answers):
    """A Canvas and a Moodle download with awkward names, plus files that must be reported."""
    course, answers = workflow_answers
    folder = tmp_path_factory.mktemp("lms")
    canvas, moodle = folder / "canvas submissions.zip", folder / "moodle.zip"
    with zipfile.ZipFile(canvas, "w") as z:
        z.writestr("smithjonesmaryjo_late_20005_880011_exercises-1.ipynb", notebook_text(course, answers["s-canvas"]))
        z.writestr("doejane_99999_880012_exercises.ipynb", notebook_text(course, {}))
        z.writestr("smithjonesmaryjo_20005_880013_notes.pdf", b"%PDF")
        z.writestr("turingalan_late_20002_880014_scratch work.ipynb", notebook_text(course, {}))
        z.writestr("__MACOSX/._smithjonesmaryjo_late_20005_880011_exercises-1.ipynb", b"")
    with zipfile.ZipFile(moodle, "w") as z:
        z.writestr("José García López_30006_assignsubmission_file_/exercises.ipynb",
                   notebook_text(course, answers["s-moodle"]))
        z.writestr("Someone Else_31000_assignsubmission_file_/exercises.ipynb", notebook_text(course, {}))
    return canvas, moodle


@pytest.fixture(scope="module")
def workflow_answers(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("workflow"))
    reference = classroom.solutions(course)
    pool = list(classroom.roster(course, size=8, seed=3).values())[2:]
    answers = {row["id"]: dict(pool[n % len(pool)]) for n, row in enumerate(ROSTER)}
    answers["s-ada"] = reference
    answers["s-late"] = reference
    return course, answers


@pytest.fixture(scope="module")
def workflow(workflow_answers, lms_zips):
    """Run every step once; return the course, the answers and what the LMS collection reported."""
    course, answers = workflow_answers
    course = Course(course.root, CanvasCsvExportPlugin={"canvas_assignment_id": CANVAS_ID})
    import_roster(course, write_roster(course.root / "roster.csv", ROSTER))
    release(course, duedate="2100-01-01 00:00:00 UTC")
    homes = course.root / "students"
    for student in EXCHANGE:
        classroom.fetch_and_submit(course, student, answers[student], homes)
    set_due(course, datetime.datetime.now(datetime.timezone.utc))
    classroom.fetch_and_submit(course, "s-late", answers["s-late"], homes)
    collected = collect(course)
    canvas = zip_collect(course, lms_zips[0], "canvas")
    moodle = zip_collect(course, lms_zips[1], "moodle")
    problems, _ = grade(course)
    assert not problems
    feedback(course)
    export_all(course)
    export_all(course)  # idempotent
    return course, answers, collected, canvas, moodle


def rows(course, name):
    with open(course.root / name, newline="") as handle:
        return list(csv.DictReader(handle))


def gradebook_totals(course):
    with course.gradebook() as gb:
        totals = {}
        for student in gb.students:
            try:
                s = gb.find_submission(course.assignment, student.id)
                totals[student.id] = (s.score, s.late_submission_penalty or 0.0)
            except Exception:
                totals[student.id] = (0.0, 0.0)
        return totals


def test_roster_import_is_idempotent_and_keeps_names(workflow):
    course = workflow[0]
    import_roster(course, course.root / "roster.csv")
    with course.gradebook() as gb:
        students = {s.id: (s.first_name, s.last_name, s.email, s.lms_user_id) for s in gb.students}
    assert students == {r["id"]: (r["first_name"], r["last_name"], r["email"], r["lms_id"]) for r in ROSTER}


@pytest.mark.parametrize("text, message", [
    ("id,first name,email\ns1,A,a@x\n", "missing column(s) last_name"),
    ("id,first name,last name,email\ns1,A,B,a@x\ns1,C,D,c@x\n", "duplicate"),
    ("id,first name,last name,email\ns1,A,B\n", "3 fields, expected 4"),
    ("id,first name,last name,email\n", "no students"),
])
def test_malformed_roster_is_refused_and_changes_nothing(workflow, tmp_path, text, message):
    course = workflow[0]
    before = gradebook_totals(course)
    (tmp_path / "bad.csv").write_text(text)
    with pytest.raises(CourseError, match=re.escape(message)):
        import_roster(course, tmp_path / "bad.csv")
    assert gradebook_totals(course) == before


def test_exchange_collects_every_home_folder_submission(workflow):
    course, _, collected, *_ = workflow
    assert sorted(collected) == sorted(EXCHANGE + ["s-late"])
    for student in EXCHANGE + ["s-late"]:
        assert (course.root / "students" / student / course.assignment / "exercises.ipynb").exists()


def test_lms_zips_are_mapped_to_the_roster_and_leftovers_reported_by_name(workflow):
    _, _, _, canvas, moodle = workflow
    assert canvas.matched == {"smithjonesmaryjo_late_20005_880011_exercises-1.ipynb": "s-canvas"}
    assert set(canvas.unmatched) == {"doejane_99999_880012_exercises.ipynb",
                                     "smithjonesmaryjo_20005_880013_notes.pdf",
                                     "turingalan_late_20002_880014_scratch work.ipynb",
                                     "__MACOSX/._smithjonesmaryjo_late_20005_880011_exercises-1.ipynb"}
    assert "not in the roster" in canvas.unmatched["doejane_99999_880012_exercises.ipynb"]
    assert canvas.late == ["s-canvas"] and moodle.late == []
    assert moodle.matched == {"José García López_30006_assignsubmission_file_/exercises.ipynb": "s-moodle"}
    assert list(moodle.unmatched) == ["Someone Else_31000_assignsubmission_file_/exercises.ipynb"]


def test_zip_collect_again_gives_the_same_submissions(workflow, lms_zips):
    course = workflow[0]
    before = course.submitted_students()
    assert zip_collect(course, lms_zips[0], "canvas") == workflow[3]
    assert course.submitted_students() == before


@pytest.mark.parametrize("content, message", [(None, "is empty"), (b"not a zip", "is not a zip file")])
def test_bad_archives_are_refused(workflow, tmp_path, content, message):
    archive = tmp_path / "download.zip"
    if content is None:
        zipfile.ZipFile(archive, "w").close()
    else:
        archive.write_bytes(content)
    with pytest.raises(CourseError, match=message):
        zip_collect(workflow[0], archive)


def test_late_submission_loses_ten_percent(workflow):
    course = workflow[0]
    totals = gradebook_totals(course)
    assert totals["s-late"] == (41.0, 4.1)
    assert all(penalty == 0 for student, (_, penalty) in totals.items() if student != "s-late")


def test_grades_csv_matches_the_gradebook(workflow):
    course = workflow[0]
    totals = gradebook_totals(course)
    table = rows(course, "grades.csv")
    assert sorted(r["student_id"] for r in table) == sorted(totals)
    for r in table:
        raw, penalty = totals[r["student_id"]]
        assert float(r["raw_score"]) == raw and float(r["score"]) == pytest.approx(raw - penalty)


def test_per_exercise_csv_columns_and_totals(workflow):
    course = workflow[0]
    totals = gradebook_totals(course)
    table = rows(course, "grades_by_exercise.csv")
    assert list(table[0]) == ["assignment", "student_id", *EXERCISES, "total", "max_score", "late_penalty",
                              "status"]
    assert [r["student_id"] for r in table] == sorted(totals)
    status = {r["student_id"]: r["status"] for r in table}
    assert status == dict.fromkeys(totals, "graded") | {"s-late": "late", "s-absent": "missing"}
    for r in table:
        raw, penalty = totals[r["student_id"]]
        assert sum(float(r[e]) for e in EXERCISES) == raw
        assert float(r["total"]) == pytest.approx(raw - penalty) and float(r["late_penalty"]) == penalty
        assert float(r["max_score"]) == 41


def test_canvas_csv_is_ready_for_import(workflow):
    course = workflow[0]
    totals = gradebook_totals(course)
    table = rows(course, "grades_canvas.csv")
    column = f"{course.assignment} ({CANVAS_ID})"
    assert list(table[0]) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column]
    by_id = {r["SIS User ID"]: r for r in table}
    assert sorted(by_id) == sorted(totals) and len(table) == len(ROSTER)
    for row in ROSTER:
        line = by_id[row["id"]]
        assert (line["Student"], line["ID"], line["SIS Login ID"]) == \
               (f"{row['last_name']}, {row['first_name']}", row["lms_id"], row["email"])
        raw, penalty = totals[row["id"]]
        assert float(line[column]) == pytest.approx(raw - penalty)
    assert float(by_id["s-absent"][column]) == 0


def hidden_code(course):
    source = course.notebook("source").read_text()
    import json

    cells = "".join("".join(c["source"]) for c in json.loads(source)["cells"])
    blocks = re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", cells, re.S)
    return {line.strip() for b in blocks for line in b.splitlines() if len(line.strip()) > 25}


def test_feedback_explains_failures_without_hidden_code(workflow):
    course, answers = workflow[:2]
    secret = hidden_code(course)
    assert secret
    pages = {p.parts[-3]: p.read_text() for p in course.root.glob(f"feedback/*/{course.assignment}/*.html")}
    assert sorted(pages) == sorted(r["id"] for r in ROSTER if r["id"] != "s-absent")
    for student, page in pages.items():
        assert "BEGIN HIDDEN TESTS" not in page and "default_rng(2024)" not in page, student
        leaked = [line for line in secret if line in page.replace("&quot;", '"').replace("&#39;", "'")]
        assert not leaked, (student, leaked[:3])
    failing = [s for s, p in pages.items() if "CheckFailed" in p]
    assert failing and all("expected:" in pages[s] for s in failing)
    for page in pages.values():  # each check is named in the list at the top, none is a bare "Test cell"
        assert ">Exercise 1, attention_weights: values</a> (Score:" in page and ">Test cell<" not in page
        assert ">Exercise 10, check_attention_inputs: masks</a>" in page
    released = list((course.exchange / "transformer-math" / "feedback").glob("*.html"))
    assert len(released) == len(EXCHANGE) + 1  # LMS-collected students get theirs through the LMS


def test_report_files(workflow):
    course = workflow[0]
    text, (image, page) = report(course)
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size > 10_000
    html = page.read_text()
    assert "s-absent" in html and "s-late" in html and image.name in html
    assert "1 missing" in text and "(1 late)" in text
