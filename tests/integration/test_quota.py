"""A disk quota per graded notebook, on both grading paths: a submission that writes a big file and many
small ones in its folder fills only its own capped working folder; grading goes on, the exercises it
did not break keep their points, nothing it wrote reaches autograded/ (but the declared outputs), and
the intake's status says it hit the quota. Honest work scores as before."""
import contextlib
import io

import pytest

from nbgrader_sandbox.intake import load, status
from transformer_course import cli
from transformer_course.scoring import exercise_scores
from transformer_course.simulation import classroom

from conftest import grade, make_course

MiB = 2**20
CAP = 32 * MiB
FULL = 41
NOTE = "disk quota reached: exercises.ipynb filled its 32 MiB folder"

# Exercise 1 fills the folder each time the checks call it: a big file, then many small ones (both
# stopped by the cap), and still returns the right answer.
FILL = """    import os
    try:
        with open("big.bin", "wb") as f:
            for _ in range(64):
                f.write(bytes(2**20))
    except OSError as error:
        print("big file:", error.strerror)
    os.makedirs("many", exist_ok=True)
    try:
        for i in range(100_000):
            with open(f"many/{i}.txt", "w") as f:
                f.write("x" * 5000)
    except OSError as error:
        print("many files:", error.strerror)
"""
# Exercise 2 then writes a log without catching the error: it loses its points, and only it.
LOG = "    open('log.txt', 'a').write('x' * 2**20)\n"
# An honest answer that writes a declared output (*.csv) and a scratch file.
REPORT = "    open('results.csv', 'w').write('q,k\\n')\n    open('scratch.txt', 'w').write('tmp')\n"


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A scratch course whose nbgrader_config.py reads COURSE_SANDBOX_DISK: a 32 MiB folder."""
    monkeypatch.setenv("COURSE_SANDBOX_DISK", str(CAP))
    course = make_course(tmp_path / "course")
    assert course.config.Sandbox.disk_limit == CAP
    return course


@pytest.fixture
def bodies(course):
    reference = classroom.solutions(course)
    return {"honest": dict(reference),
            "filler": dict(reference, attention_weights=FILL + reference["attention_weights"],
                           causal_mask=LOG + reference["causal_mask"]),
            "reporter": dict(reference, attention_weights=REPORT + reference["attention_weights"])}


def total(scores):
    return sum(score for score, _ in scores.values())


def stored(course, student):
    """{path relative to the student's autograded folder: size} of every file there."""
    folder = course.path("autograded", student)
    return {p.relative_to(folder).as_posix(): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def check_filler(course, scores):
    assert scores["causal_mask"][0] == 0 and total(scores) == FULL - scores["causal_mask"][1]
    assert all(score == points for exercise, (score, points) in scores.items() if exercise != "causal_mask")
    files = stored(course, "filler")
    assert list(files) == ["exercises.ipynb"] and sum(files.values()) < CAP
    record = load(course.root, course.assignment)["filler"]
    assert NOTE in record["notes"] and status(record) == f"graded; {NOTE}"


def test_nbgrader_autograde_caps_the_folder_and_notes_it(course, bodies):
    """`nbgrader autograde` (nbgrader's API with the course's configuration): a kernel per notebook."""
    scores = grade(course, "filler", bodies["filler"])
    check_filler(course, scores)
    assert total(grade(course, "honest", bodies["honest"])) == FULL
    assert "honest" not in load(course.root, course.assignment)


def test_parallel_grading_caps_the_folder_keeps_outputs_and_notes_it(course, bodies):
    """`grade --jobs 2` (the intake, then forked kernels): the same, and the declared outputs (here
    *.csv) are kept beside the notebook."""
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write('\nc.Sandbox.outputs = ["*.csv"]\n')
    for student, answers in bodies.items():
        classroom.place_submission(course, student, answers)
    with contextlib.redirect_stdout(io.StringIO()) as output:
        assert cli.main(["--course", str(course.root), "--quiet", "grade", "--jobs", "2"]) == 0
    assert f"  filler: graded; {NOTE}" in output.getvalue().splitlines()
    with course.gradebook() as gradebook:
        assert {s: gradebook.find_submission(course.assignment, s).score for s in bodies} == \
            {"honest": FULL, "filler": FULL - 3, "reporter": FULL}
        check_filler(course, exercise_scores(gradebook, course.assignment, "filler"))
    assert set(stored(course, "reporter")) == {"exercises.ipynb", "results.csv"}
    assert stored(course, "reporter")["results.csv"] == 4 and list(stored(course, "honest")) == ["exercises.ipynb"]
    records = load(course.root, course.assignment)
    assert records["honest"]["notes"] == records["reporter"]["notes"] == []
