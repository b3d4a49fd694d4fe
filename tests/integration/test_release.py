"""release/ is exactly what `nbgrader generate_assignment` makes from source/ today, and leaks nothing."""
import json

import nbformat
import pytest

from transformer_course import ASSIGNMENTS, NOTEBOOK
from transformer_course.course import ROOT
from transformer_course.simulation import classroom

# Hidden-check cells of each assignment (each one line once released).
HIDDEN = {"transformer_architecture": 16, "transformer_blocks": 7}


@pytest.fixture(params=ASSIGNMENTS)
def generated(request, course, blocks):
    return {course.assignment: course, blocks.assignment: blocks}[request.param]


def released(course):
    return ROOT / "release" / course.assignment / f"{NOTEBOOK}.ipynb"


def test_release_matches_a_fresh_generate(generated):
    assert json.loads(released(generated).read_text()) == json.loads(generated.notebook("release").read_text())


def test_release_has_no_solutions_or_hidden_tests(generated):
    text = released(generated).read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "default_rng(2024)", "default_rng(11)"):
        assert marker not in text
    nb = nbformat.read(released(generated), as_version=4)
    hidden = [c.source for c in nb.cells if c.source.startswith("# Hidden checks")]
    assert len(hidden) == HIDDEN[generated.assignment] and all("\n" not in source for source in hidden)
    answers = "\n".join(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    assert answers.count("raise NotImplementedError()") == len(ASSIGNMENTS[generated.assignment])
    for body in classroom.solutions(generated).values():
        for line in body.splitlines():
            if len(line.strip()) > 20:
                assert line.strip() not in text, line
