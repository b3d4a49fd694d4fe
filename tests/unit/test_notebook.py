"""The source notebooks are valid nbgrader assignments; the first follows the student API."""
import ast
import re

import nbformat
import pytest

from transformer_course import ASSIGNMENTS, NOTEBOOK
from transformer_course.course import ROOT

POINTS = {"transformer_architecture": 41, "transformer_blocks": 22}  # autograded; the blocks add 6 by hand
SIGNATURES = {
    "attention_weights": "(q, K)",
    "causal_mask": "(T)",
    "head_dim": "(d_model, n_heads)",
    "attention_params": "(d_model, bias=False)",
    "mlp_params": "(d_model, d_ff=None, bias=False)",
    "layer_norm": "(x, eps=1e-05)",
    "pre_ln_block": "(x, F, eps=1e-05)",
    "kv_cache_bytes": "(B, L, T, H_kv, d_h, bytes_per_elem=2)",
    "decoder_mask": "(lengths, T)",
    "check_attention_inputs": "(Q, K, V, mask, n_heads)",
    "masked_attention": "(Q, K, V, mask=None)",
    "split_heads": "(x, n_heads)",
    "merge_heads": "(x)",
    "gqa_attention_params": "(d_model, n_heads, n_kv_heads)",
    "swiglu_mlp_params": "(d_model, d_ff)",
    "gpt2_params": "(vocab_size, context, d_model, n_layers)",
}


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def assignment(request):
    return request.param


@pytest.fixture(scope="module")
def nb(assignment):
    return nbformat.read(ROOT / "source" / assignment / f"{NOTEBOOK}.ipynb", as_version=4)


def graded(nb, key, kind="code"):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get(key) and c.cell_type == kind]


def test_grade_ids_are_unique(nb):
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids))


def test_every_exercise_has_one_answer_cell_and_graded_tests(nb, assignment):
    answers = [c.metadata["nbgrader"]["grade_id"] for c in graded(nb, "solution")]
    assert answers == list(ASSIGNMENTS[assignment])
    for exercise in answers:
        tests = [c for c in graded(nb, "grade") if c.metadata["nbgrader"]["grade_id"].startswith(exercise)]
        assert len(tests) >= 2, exercise
        assert any("### BEGIN HIDDEN TESTS" in c.source for c in tests), exercise
        visible = [re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", c.source, flags=re.S)
                   for c in tests]
        assert any("expect_" in v for v in visible), exercise


def test_test_cells_are_locked_and_points_add_up(nb, assignment):
    tests = graded(nb, "grade")
    assert all(c.metadata["nbgrader"]["locked"] and not c.metadata["nbgrader"]["solution"] for c in tests)
    assert all(c.metadata["nbgrader"]["points"] > 0 for c in tests)
    assert sum(c.metadata["nbgrader"]["points"] for c in tests) == POINTS[assignment]


def test_answer_cells_define_the_contract_functions(nb):
    for cell in graded(nb, "solution"):
        (func,) = [n for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef)]
        assert func.name == cell.metadata["nbgrader"]["grade_id"]
        assert f"({ast.unparse(func.args)})" == SIGNATURES[func.name]
        assert ast.get_docstring(func)
        assert cell.source.count("### BEGIN SOLUTION") == cell.source.count("### END SOLUTION") == 1


def test_no_outputs_committed(nb):
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in nb.cells if c.cell_type == "code")


def test_hidden_test_markers_are_balanced(nb):
    for cell in graded(nb, "grade"):
        assert len(re.findall("### BEGIN HIDDEN TESTS", cell.source)) == \
               len(re.findall("### END HIDDEN TESTS", cell.source))


def test_written_answers_are_graded_by_hand_with_a_rubric(nb, assignment):
    written = graded(nb, "solution", kind="markdown")
    assert [c.metadata["nbgrader"]["grade"] for c in written] == [True] * len(written)
    assert len(written) == (3 if assignment == "transformer_blocks" else 0)
    for cell in written:
        assert cell.metadata["nbgrader"]["points"] == 2 and not cell.metadata["nbgrader"]["locked"]
        assert cell.source.startswith("### BEGIN SOLUTION") and "**Rubric (2 points).**" in cell.source
