"""A stock nbgrader course (`nbgrader quickstart`) adopts the engine as its README says.

One course, two copies with the same submissions: copy A is graded by plain `nbgrader autograde`
with the quickstart's config; copy B gets the README's adoption lines and is graded by
`nbgrader-sandbox grade --jobs 2`. Every per-cell score must agree, the wrong answer must lose
points, and a probe cell must see copy A's gradebook from A's kernel but not B's from B's.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell
from nbgrader.api import Gradebook

from nbgrader_sandbox import install_kernelspec

BIN = Path(sys.executable).parent
README = Path(__file__).resolve().parents[1] / "README.md"
# The adoption lines, as README.md shows them (checked below, so the two cannot drift apart).
ADOPTION = """\
from nbgrader_sandbox import SafeExchangeCollect, autograde_preprocessors, sanitize_preprocessors

c.Autograde.sanitize_preprocessors = sanitize_preprocessors()
c.Autograde.autograde_preprocessors = autograde_preprocessors()
c.ExchangeFactory.collect = SafeExchangeCollect
"""
CORRECT = ["bitdiddle", "hacker"]  # named after the quickstart's students; they hand in the solutions
WRONG = "reasoner"  # squares() starts at 0
PROBE = "probe"  # full solutions plus a plain cell that looks for the course's gradebook
TESTS = ["correct_squares", "squares_invalid_input", "correct_sum_of_squares", "sum_of_squares_uses_squares"]

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap (bwrap) is not installed")


def environment():
    """nbgrader finds `alembic` (and the kernels their Python) through PATH: the venv's bin first."""
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", MPLBACKEND="Agg")


def run(argv, cwd):
    result = subprocess.run(argv, cwd=cwd, env=environment(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{argv} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


def submit(course, student, edit=None):
    """Copy the instructor's source of ps1 to submitted/<student>/ps1, then edit problem1 there."""
    folder = course / "submitted" / student / "ps1"
    shutil.copytree(course / "source" / "ps1", folder)
    if edit is not None:
        path = folder / "problem1.ipynb"
        nb = nbformat.read(path, as_version=4)
        edit(nb)
        nbformat.write(nb, path)


def wrong_squares(nb):
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "squares")
    right = "return [i ** 2 for i in range(1, n + 1)]"
    assert right in cell.source
    cell.source = cell.source.replace(right, "return [i ** 2 for i in range(n)]")


def probe(gradebook):
    """An edit adding, after the answer cell `squares`, a plain code cell (no nbgrader metadata,
    so it is graded by nobody) that prints whether the kernel can see `gradebook`."""
    def edit(nb):
        index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "squares")
        cell = new_code_cell(f"import os\nprint('gradebook visible:', os.path.exists({str(gradebook)!r}))")
        del cell["id"]  # the quickstart's notebooks are nbformat 4.0: no cell ids
        nb.cells.insert(index + 1, cell)
    return edit


def probe_output(course):
    """What the probe cell printed in the student's autograded notebook."""
    nb = nbformat.read(course / "autograded" / PROBE / "ps1" / "problem1.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "gradebook visible" in c.source)
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream").strip()


def scores(course):
    """Sorted (student, notebook, cell, auto_score) of every grade in the course's gradebook."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="course101") as gb:
        return sorted((submission.student_id, notebook.name, grade.name, grade.auto_score)
                      for submission in gb.assignment_submissions("ps1")
                      for notebook in submission.notebooks for grade in notebook.grades)


def test_quickstart_course_grades_the_same_sandboxed_and_in_parallel(tmp_path):
    assert ADOPTION in README.read_text(), "README.md no longer shows the adoption lines this test uses"
    install_kernelspec()  # as `nbgrader-sandbox install`: once per environment, a no-op when current

    # nbgrader 0.9.6's quickstart runs its `nbgrader db ... add` steps in the current folder, so
    # they leave a gradebook.db there, not in the course. The course's own gradebook is made by
    # generate_assignment, run (as every nbgrader command here) in the course folder.
    run([str(BIN / "nbgrader"), "quickstart", "course101"], tmp_path)
    course = tmp_path / "course101"
    assert (course / "nbgrader_config.py").exists() and not (course / "gradebook.db").exists()
    run([str(BIN / "nbgrader"), "generate_assignment", "ps1"], course)
    assert (course / "gradebook.db").exists() and (course / "release" / "ps1" / "problem1.ipynb").exists()
    for student in CORRECT:
        submit(course, student)
    submit(course, WRONG, wrong_squares)

    plain, sandboxed = tmp_path / "A", tmp_path / "B"
    for copy in (plain, sandboxed):
        shutil.copytree(course, copy)
        submit(copy, PROBE, probe(copy / "gradebook.db"))
    with open(sandboxed / "nbgrader_config.py", "a") as config:
        config.write("\n" + ADOPTION)

    # Both gradings at once: they share nothing but the kernelspecs.
    commands = {plain: [str(BIN / "nbgrader"), "autograde", "ps1"],
                sandboxed: [str(BIN / "nbgrader-sandbox"), "grade", "ps1", "--jobs", "2"]}
    processes = {copy: subprocess.Popen(argv, cwd=copy, env=environment(), stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True) for copy, argv in commands.items()}
    outputs = {copy: process.communicate(timeout=300)[0] for copy, process in processes.items()}
    for copy, process in processes.items():
        assert process.returncode == 0, f"{commands[copy]} exited {process.returncode}:\n{outputs[copy]}"
    assert "grade: 4 graded, 0 not graded" in outputs[sandboxed], outputs[sandboxed]

    # The same grades, cell by cell, for every student.
    rows = scores(plain)
    assert rows == scores(sandboxed)
    auto = {(student, cell): score for student, notebook, cell, score in rows if cell in TESTS}
    assert {student for student, _ in auto} == {*CORRECT, WRONG, PROBE}
    for student in CORRECT + [PROBE]:  # the probe cell costs nothing
        assert [auto[student, cell] for cell in TESTS] == [1, 1, 0.5, 0.5], student
    assert auto[WRONG, "correct_squares"] == 0 and auto[WRONG, "correct_sum_of_squares"] == 0
    assert sum(auto[WRONG, cell] for cell in TESTS) < sum(auto[CORRECT[0], cell] for cell in TESTS)

    # Plain nbgrader runs the student's code where it can read the gradebook; the sandbox cannot.
    assert probe_output(plain) == "gradebook visible: True"
    assert probe_output(sandboxed) == "gradebook visible: False"

    # The intake's records, beside the staged copies: the probe's absolute path is flagged for review.
    records = json.loads((sandboxed / "intake" / "ps1.json").read_text())
    assert all(record["graded"] for record in records.values()) and set(records) == {*CORRECT, WRONG, PROBE}
    assert records[PROBE]["notes"] == [f"problem1.ipynb: review: path {sandboxed / 'gradebook.db'} (cell 4)"]
