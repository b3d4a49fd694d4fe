"""LabelChecks names each test cell of the feedback by its exercise and check (no kernel)."""
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from transformer_course.plugins import LabelChecks


def cell(grade_id, solution=False, grade=True, kind=new_code_cell):
    return kind("", metadata={"nbgrader": {"grade_id": grade_id, "solution": solution, "grade": grade,
                                           "locked": not solution, "points": 1}})


def test_each_test_cell_gets_its_exercise_number_function_and_check():
    nb = new_notebook(cells=[
        cell("head_dim", solution=True, grade=False), cell("head_dim_example"), cell("head_dim_errors"),
        cell("attention_weights", solution=True, grade=False), cell("attention_weights_values"),
        cell("attention_params", solution=True, grade=False), cell("attention_params_hidden"),
        cell("reflection", solution=True, kind=new_markdown_cell), cell("orphan_check")])
    nb, _ = LabelChecks().preprocess(nb, {})
    labels = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader.get("label") for c in nb.cells}
    assert labels == {
        "head_dim": None, "head_dim_example": "Exercise 1, head_dim: worked example",
        "head_dim_errors": "Exercise 1, head_dim: errors",
        "attention_weights": None, "attention_weights_values": "Exercise 2, attention_weights: values",
        "attention_params": None, "attention_params_hidden": "Exercise 3, attention_params: hidden checks",
        "reflection": None, "orphan_check": "orphan check"}
