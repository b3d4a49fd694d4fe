"""What a student sees when they validate: the failing checks, in words they can act on."""
import subprocess
import sys
from pathlib import Path

import nbformat

from transformer_course.simulation import classroom
from transformer_course.simulation.answers import WRONG

TYPICAL = {("attention_weights", "unscaled scores"), ("causal_mask", "blocks the diagonal"),
           ("kv_cache_bytes", "bits")}


def validate(course, bodies, folder):
    path = Path(folder) / "exercises.ipynb"
    nbformat.write(classroom.answer(nbformat.read(course.notebook("release"), as_version=4), bodies), path)
    nbgrader = Path(sys.executable).with_name("nbgrader")
    return subprocess.run([str(nbgrader), "validate", str(path)], cwd=folder, capture_output=True,
                          text=True, timeout=300).stdout


def test_typical_mistakes_are_named_in_the_validate_output(course, reference, tmp_path):
    mistakes = {a.function: a.body for a in WRONG if (a.function, a.name) in TYPICAL}
    output = validate(course, dict(reference, **mistakes), tmp_path)
    assert "VALIDATION FAILED ON 3 CELL(S)" in output
    for expected in ["CheckFailed: attention_weights([1, 0], np.eye(2))",
                     "divide by", "sqrt(d_k) first",
                     "likely mistake: the diagonal is blocked: a token may attend to itself",
                     "got:      16,777,216",
                     "likely mistake: 8 times the expected count: that is bits, count bytes"]:
        assert expected in output
    assert "Traceback" not in output and "def expect_close" not in output


def test_correct_answers_validate(course, reference, tmp_path):
    assert "Success! Your notebook passes all the tests." in validate(course, reference, tmp_path)
