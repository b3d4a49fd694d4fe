"""The intake's verdict on a submitted file: graded as nbgrader would, or why not."""
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from nbgrader_sandbox.intake import read


def notebook(minor, ids=True, source=True):
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    nb.nbformat_minor = minor
    cell = nb.cells[0]
    if not ids:
        del cell["id"]
    if not source:
        del cell["source"]
    return json.dumps(nb)


@pytest.mark.parametrize("text, problem", [
    (notebook(5), None),
    (notebook(4, ids=False), None),
    (notebook(0), None),  # cell ids in nbformat 4.0: nbgrader grades it, so the intake does too
    (notebook(5, source=False), "unreadable: not a valid notebook ('source' is a required property)"),
    ('{"cells": [', "unreadable: not JSON (truncated or corrupted)"),
], ids=["current", "4.4", "4.0-with-ids", "no-source", "truncated"])
def test_read(tmp_path, text, problem):
    path = tmp_path / "exercises.ipynb"
    path.write_text(text)
    nb, found = read(path)
    assert found == problem and (nb is None) == (problem is not None)
    if nb is not None:
        assert nb.cells[0].source == "x = 1" and isinstance(nb, nbformat.NotebookNode)
