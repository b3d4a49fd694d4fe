"""Odd submissions graded through the real pipeline (intake, then nbgrader autograde) beside two
honest students: each gets its status in the exports, nobody else loses anything."""
import contextlib
import copy
import csv
import hashlib
import io
import json
import os

import nbformat
import pytest

from nbgrader_sandbox.intake import intake, load, reference_cells
from nbgrader_sandbox.review import review_notes
from transformer_course import ASSIGNMENTS, EXERCISES, NOTEBOOK, cli
from transformer_course.lifecycle.export import export
from transformer_course.report import report
from transformer_course.scoring import exercise_scores
from transformer_course.simulation import classroom
from transformer_course.simulation.answers import HOSTILE, RIGHT, WRONG

from conftest import make_course

FULL = 41.0
HONEST = ("honest-1", "honest-2")


def cells(nb, grade_id):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]


def answered(course, bodies):
    return classroom.answer(nbformat.read(course.notebook("release"), as_version=4), bodies)


def write(course, student, nb, name="exercises.ipynb", mtime=None):
    folder = course.path("submitted", student)
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)
    if mtime:
        os.utime(folder / name, (mtime, mtime))


def truncated(course, student, reference):
    write(course, student, answered(course, reference))
    path = course.notebook("submitted", student)
    text = path.read_text()
    path.write_text(text[: len(text) // 2])


def invalid(course, student, reference):
    nb = answered(course, reference)
    del nb.cells[3]["source"]
    folder = course.path("submitted", student)
    folder.mkdir(parents=True)
    (folder / "exercises.ipynb").write_text(json.dumps(nb))


def renamed(course, student, reference):
    write(course, student, answered(course, reference), "exercises (1).ipynb")


def two_copies(course, student, reference):
    write(course, student, answered(course, {}), "exercises-Copy1.ipynb", mtime=1_700_000_000)
    write(course, student, answered(course, reference), "Exercises.ipynb", mtime=1_700_000_600)


def deleted_tests(course, student, reference):
    nb = answered(course, reference)
    nb.cells = [c for c in nb.cells if c not in cells(nb, "causal_mask_example") + cells(nb, "causal_mask_hidden")]
    write(course, student, nb)


def duplicated(course, student, reference):
    nb = answered(course, reference)
    nb.cells.append(copy.deepcopy(cells(nb, "head_dim_example")[0]))
    write(course, student, nb)


def edited_tests(course, student, reference):
    nb = answered(course, reference)
    cells(nb, "head_dim_example")[0].source = "assert True"
    cells(nb, "mlp_params_hidden")[0].source += "\nprint('edited')"
    write(course, student, nb)


def metadata_changed(course, student, reference):
    nb = answered(course, reference)
    answer = cells(nb, "layer_norm")[0]
    answer.metadata.nbgrader.update(solution=False)
    cells(nb, "kv_cache_bytes_hidden")[0].metadata.nbgrader["points"] = 100
    write(course, student, nb)


TAMPERING = {
    "attention_weights": "import builtins\nbuiltins.print = print\n",
    "causal_mask": "np.allclose = np.allclose\n",
    "head_dim": "expect_close.__defaults__ = None\n",
    "mlp_params": "import sys\n_numpy = sys.modules['numpy']\n",
    "layer_norm": "def _peek():\n    return open('../../../source/x').read()\n",
}


def tampering(course, student, reference):
    nb = answered(course, reference)
    for exercise, code in TAMPERING.items():
        cells(nb, exercise)[0].source += "\n" + code
    write(course, student, nb)


CASES = {f.__name__.replace("_", "-"): f for f in (truncated, invalid, renamed, two_copies, deleted_tests, duplicated,
                                                    edited_tests, metadata_changed, tampering)}


def digest(folder):
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())).hexdigest()


def gradebook_cells(course):
    with course.gradebook() as gradebook:
        notebook = gradebook.find_notebook("exercises", course.assignment)
        return ({c.name: (c.cell_type, c.locked, c.checksum, c.source) for c in notebook.source_cells},
                {c.name: c.max_score for c in notebook.grade_cells})


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every case and two honest students graded in one `grade` command.

    Returns (course, grade's output, exit code, intake records, CSV rows, raw totals)."""
    course = make_course(tmp_path_factory.mktemp("intake"))
    reference = classroom.solutions(course)
    for student in HONEST:
        classroom.place_submission(course, student, reference)
    for student, case in CASES.items():
        case(course, student, reference)
    before = digest(course.root / "source"), digest(course.root / "submitted"), gradebook_cells(course)
    with contextlib.redirect_stdout(io.StringIO()) as output:
        code = cli.main(["--course", str(course.root), "grade"])
    # grading changes neither the instructor's files nor what the students handed in
    assert (digest(course.root / "source"), digest(course.root / "submitted"), gradebook_cells(course)) == before
    records = load(course.root, course.assignment)
    with open(export(course, "grades_by_exercise.csv")) as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle)}
    with course.gradebook() as gradebook:
        scores = {s: sum(v for v, _ in exercise_scores(gradebook, course.assignment, s).values())
                  for s in records if records[s]["graded"]}
    return course, output.getvalue(), code, records, rows, scores


EXPECTED = {
    "truncated": (0.0, "unreadable: not JSON (truncated or corrupted)"),
    "invalid": (0.0, "unreadable: not a valid notebook ('source' is a required property)"),
    "renamed": (FULL, "graded; renamed from exercises (1).ipynb"),
    "two-copies": (FULL, "graded; renamed from Exercises.ipynb (newest of Exercises.ipynb, exercises-Copy1.ipynb)"),
    "deleted-tests": (FULL, "graded; tests deleted (restored): causal_mask_example, causal_mask_hidden"),
    "duplicated": (FULL, "graded; duplicated grade_id head_dim_example (the last one graded)"),
    "edited-tests": (FULL, "graded; tests edited (restored): head_dim_example, mlp_params_hidden"),
    "metadata-changed": (FULL, "graded; metadata changed (restored where nbgrader can): "
                               "answer cell layer_norm made non-graded; kv_cache_bytes_hidden points 2 -> 100"),
    "tampering": (FULL - 9, "graded; review: import builtins (attention_weights); "
                        "review: assigns builtins.print (attention_weights); "
                        "review: assigns np.allclose (causal_mask); "
                        "review: assigns expect_close.__defaults__ (head_dim); "
                        "review: sys.modules (mlp_params); review: path ../../../source/x (layer_norm)"),
}


def test_odd_submissions(graded, subtests):
    """Exports, records, `grade`'s output and report; one test, so one worker grades the class
    (pytest 9 with xdist 3.8 ignores xdist_group)."""
    course, output, code, records, rows, scores = graded
    for student in HONEST:
        assert scores[student] == FULL and rows[student]["status"] == "graded"
        assert records[student]["graded"] and records[student]["notes"] == []
    for student, (total, status) in EXPECTED.items():
        with subtests.test(student=student):
            row = rows[student]
            assert float(row["total"]) == total
            assert row["status"] == status
            assert course.notebook("autograded", student).exists() == (total > 0)
            line = f"  {student}: {status}"
            assert line in output.splitlines()
    assert code == 1 and "\ngrade: 9 graded, 2 not graded\n" in output  # after the backup line
    lost = {e: float(v) for e, v in rows["tampering"].items() if e in EXERCISES and float(v) == 0}
    assert lost == {"layer_norm": 0.0, "pre_ln_block": 0.0}  # expect_close broken in head_dim's cell
    assert set(os.listdir(course.path("submitted", "two-copies"))) == {"Exercises.ipynb", "exercises-Copy1.ipynb"}
    assert set(os.listdir(course.path("intake", "two-copies"))) == {"exercises.ipynb", "exercises-Copy1.ipynb"}
    assert not course.path("intake", "honest-1").exists()  # staged only where a notebook is renamed
    assert intake(course.config, course.assignment) == records  # run again: the same notes

    text, (image, page) = report(course)
    assert text.splitlines()[0] == "11 students: 9 graded (0 late), 2 not graded, 0 missing"
    lines = [line for line in text.splitlines() if line.startswith("intake: ")]
    assert [line.split(": ")[1] for line in lines] == sorted(CASES)
    assert "Odd submissions (9)" in page.read_text()


FLAGGED = {"patches numpy's comparisons", "rebinds np", "copies the solution from the course folder",
           "writes its own grades into the gradebook", "patches builtins.round"}


@pytest.mark.parametrize("answers", [RIGHT, WRONG, HOSTILE], ids=["right", "wrong", "hostile"])
def test_catalogue_review(course, blocks, answers):
    """No correct or wrong answer of the catalogue is flagged, in either assignment; the hostile ones
    that patch NumPy, builtins or np, or reach outside the submission folder, are (objects equal to
    anything are not)."""
    flagged = set()
    for assignment in (course, blocks):
        with assignment.gradebook() as gradebook:
            reference = reference_cells(gradebook, assignment.assignment)[NOTEBOOK]
        release = nbformat.read(assignment.notebook("release"), as_version=4)
        flagged |= {a.name for a in answers if a.function in ASSIGNMENTS[assignment.assignment]
                    and review_notes(classroom.answer(copy.deepcopy(release), {a.function: a.body}), reference)}
    assert flagged == {a.name for a in answers} & FLAGGED
