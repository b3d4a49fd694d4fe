"""RepairIds and repair_notes: duplicated and nameless nbgrader metadata, repaired and reported."""
import copy

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from nbgrader_sandbox.repair import RepairIds, repair_notes


def solution(grade_id):
    return {"grade": False, "grade_id": grade_id, "locked": False, "schema_version": 3, "solution": True}


def check(grade_id):
    return {"grade": True, "grade_id": grade_id, "locked": True, "points": 1, "schema_version": 3,
            "solution": False}


def readonly(grade_id):
    return {"grade": False, "grade_id": grade_id, "locked": True, "schema_version": 3, "solution": False}


NAMELESS = {"grade": False, "locked": False, "schema_version": 3, "solution": True}


def code(nbgrader=None, source="x = 1", **metadata):
    if nbgrader is not None:
        metadata["nbgrader"] = nbgrader
    return new_code_cell(source, metadata=metadata)


def notebook(*cells):
    return new_notebook(cells=list(cells))


def repaired(nb):
    """The cells' metadata after RepairIds, checking it returns the notebook and resources it got."""
    resources = {"unique_key": "exercises"}
    result, out = RepairIds().preprocess(nb, resources)
    assert result is nb and out == {"unique_key": "exercises"}
    return [cell.metadata for cell in nb.cells]


def test_last_duplicate_keeps_metadata_earlier_copies_lose_it():
    nb = notebook(new_markdown_cell("# Exercise"), code(readonly("setup")), code(solution("ex1"), tags=["keep"]),
                  code(check("ex1_test")), code(solution("ex1"), source="x = 2"), code(tags=["plain"]))
    assert repaired(nb) == [{}, {"nbgrader": readonly("setup")}, {"tags": ["keep"]}, {"nbgrader": check("ex1_test")},
                            {"nbgrader": solution("ex1")}, {"tags": ["plain"]}]
    assert [cell.source for cell in nb.cells] == ["# Exercise", "x = 1", "x = 1", "x = 1", "x = 2", "x = 1"]


@pytest.mark.parametrize("make", [solution, check, readonly])
def test_every_duplicated_kind_but_the_last_loses_metadata(make):
    nb = notebook(code(make("a")), code(make("a")), code(make("b")), code(make("a")))
    assert repaired(nb) == [{}, {}, {"nbgrader": make("b")}, {"nbgrader": make("a")}]


@pytest.mark.parametrize("nbgrader", [
    pytest.param(NAMELESS, id="no-grade_id"),
    pytest.param({}, id="emptied"),
])
def test_nameless_metadata_removed(nbgrader):
    nb = notebook(code(nbgrader, tags=["keep"]), code(solution("ex1")))
    assert repaired(nb) == [{"tags": ["keep"]}, {"nbgrader": solution("ex1")}]


def test_clean_notebook_untouched():
    nb = notebook(new_markdown_cell("# Exercise"), code(solution("ex1")), code(check("ex1_test")), code())
    before = copy.deepcopy(nb)
    repaired(nb)
    assert nb == before


@pytest.mark.parametrize("cells, notes", [
    pytest.param([code(solution("ex1")), code(check("ex1_test"))], [], id="clean"),
    pytest.param([code(solution("ex1")), code(check("ex1_test")), code(solution("ex1"))],
                 ["duplicated grade_id ex1 (the last one graded)"], id="duplicate"),
    pytest.param([code(check("t")), code(check("t")), code(check("t"))],
                 ["duplicated grade_id t (the last one graded)"], id="three-copies"),
    pytest.param([code(solution("b")), code(solution("a")), code(solution("a")), code(solution("b"))],
                 ["duplicated grade_id b (the last one graded)", "duplicated grade_id a (the last one graded)"],
                 id="two-duplicates"),
    pytest.param([code(NAMELESS), code(solution("ex1"))],
                 ["nbgrader metadata without grade_id removed from 1 cell(s)"], id="nameless"),
    pytest.param([code(solution("ex1")), code(NAMELESS), code({}), code(solution("ex1"))],
                 ["duplicated grade_id ex1 (the last one graded)",
                  "nbgrader metadata without grade_id removed from 2 cell(s)"], id="both"),
])
def test_repair_notes_leave_notebook_as_it_is(cells, notes):
    nb = notebook(*cells)
    before = copy.deepcopy(nb)
    assert repair_notes(nb) == notes
    assert nb == before


@pytest.mark.parametrize("cells", [
    pytest.param([code(solution("ex1")), code(check("ex1_test")), code(solution("ex1")), code(NAMELESS)],
                 id="duplicate-and-nameless"),
    pytest.param([code(solution("ex1")), code(check("ex1_test"))], id="clean"),
])
def test_notes_empty_once_repaired(cells):
    nb = notebook(*cells)
    RepairIds().preprocess(nb, {})
    assert repair_notes(nb) == []
