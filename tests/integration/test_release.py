"""release/ is exactly what `nbgrader generate_assignment` makes from source/ today, and leaks nothing."""
import json

import nbformat

from transformer_course.simulation import classroom
from transformer_course.course import ROOT

RELEASED = ROOT / "release" / "transformer_architecture" / "exercises.ipynb"


def test_release_matches_a_fresh_generate(course):
    assert json.loads(RELEASED.read_text()) == json.loads(course.notebook("release").read_text())


def test_release_has_no_solutions_or_hidden_tests(course):
    text = RELEASED.read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "default_rng(2024)"):
        assert marker not in text
    nb = nbformat.read(RELEASED, as_version=4)
    hidden = [c.source for c in nb.cells if c.source.startswith("# Hidden checks")]
    assert len(hidden) == 16 and all("\n" not in source for source in hidden)
    answers = "\n".join(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    assert answers.count("raise NotImplementedError()") == 10
    for body in classroom.solutions(course).values():
        for line in body.splitlines():
            if len(line.strip()) > 20:
                assert line.strip() not in text, line
