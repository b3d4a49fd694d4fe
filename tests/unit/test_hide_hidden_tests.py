"""HideHiddenTests: hidden-test source and the traceback frames quoting it stay out of the feedback."""
import copy

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from transformer_course.plugins.hide_hidden_tests import HideHiddenTests

PLACEHOLDER = "# (hidden checks: the code is not shown; the result is below)"
VISIBLE = 'assert answer() is not None, "answer() returns something"'
AFTER = 'print("visible checks passed")'
SOURCE = f"""{VISIBLE}
### BEGIN HIDDEN TESTS
assert answer() == 42, "answer() is the answer"
assert secret_check(answer())
### END HIDDEN TESTS
{AFTER}"""

RED, GREEN, RESET, KEYWORD = "\x1b[0;31m", "\x1b[0;32m", "\x1b[0m", "\x1b[38;5;28;01m"
HEADER = [f"{RED}---------------------------------------------------------------------------{RESET}",
          f"{RED}AssertionError{RESET}                            Traceback (most recent call last)"]
# The cell's own frame, with IPython's colours splitting the quoted hidden line.
OWN_FRAME = (f"Cell {GREEN}In[7], line 3{RESET}\n      1 {KEYWORD}assert{RESET} answer() {KEYWORD}is{RESET} "
             f"{KEYWORD}not{RESET} {KEYWORD}None{RESET}\n{GREEN}----> 3{RESET} {KEYWORD}assert{RESET} answer() "
             f"{RESET}=={RESET} 42, \"answer() is the answer\"")
# The cell's own frame quoting only visible code.
OWN_VISIBLE_FRAME = (f"Cell {GREEN}In[7], line 1{RESET}\n{GREEN}----> 1{RESET} {KEYWORD}assert{RESET} "
                     "answer() is not None")
# A frame of another file that quotes a hidden line (only once the colours are stripped).
HIDDEN_FRAME = (f"File {GREEN}<checks>:1{RESET}\n{GREEN}----> 1{RESET} {KEYWORD}assert{RESET} "
                f"secret_check{RESET}(answer())")
HELPER_FRAME = (f"File {GREEN}/course/helpers.py:12{RESET}, in {GREEN}answer{RESET}()\n"
                f"{GREEN}---> 12{RESET} {KEYWORD}return{RESET} compute()")
OTHER_CELL_FRAME = (f"Cell {GREEN}In[3], line 2{RESET}, in {GREEN}answer{RESET}()\n"
                    f"{GREEN}----> 2{RESET} {KEYWORD}return{RESET} 41")
LAST = f"{RED}AssertionError{RESET}: answer() is the answer"
ERROR = "AssertionError: answer() is the answer"


def nbgrader(grade=True, solution=False):
    return {"grade": grade, "grade_id": "t1", "locked": True, "points": 1, "solution": solution,
            "schema_version": 3}


def cell(source=SOURCE, traceback=(), metadata=nbgrader(), evalue="answer() is the answer"):
    """A code cell with nbgrader `metadata` (None: none) run as In[7], printing, then failing with
    `traceback` if one is given."""
    outputs = [new_output("stream", name="stdout", text="checking\n")]
    if traceback:
        outputs.append(new_output("error", ename="AssertionError", evalue=evalue, traceback=list(traceback)))
    return new_code_cell(source, execution_count=7, outputs=outputs,
                         metadata={} if metadata is None else {"nbgrader": metadata})


def hide(*cells, **traits):
    """The cells of a notebook of `cells` after HideHiddenTests(**traits) is applied as nbconvert does."""
    nb = new_notebook(cells=list(cells))
    nbformat.validate(nb)
    nb, _ = HideHiddenTests(**traits)(nb, {})
    return nb.cells


def traceback_of(cell):
    return [o for o in cell.outputs if o.output_type == "error"][0].traceback


def test_hidden_region_replaced_by_placeholder():
    (hidden,) = hide(cell())
    assert hidden.source == f"{VISIBLE}\n{PLACEHOLDER}\n{AFTER}"


def test_every_hidden_region_replaced():
    source = f"{SOURCE}\n### BEGIN HIDDEN TESTS\nassert other_check()\n### END HIDDEN TESTS\n# done"
    (hidden,) = hide(cell(source))
    assert hidden.source == f"{VISIBLE}\n{PLACEHOLDER}\n{AFTER}\n{PLACEHOLDER}\n# done"


@pytest.mark.parametrize("frame, kept", [
    pytest.param(OWN_FRAME, False, id="own-frame-quoting-hidden-code"),
    pytest.param(OWN_VISIBLE_FRAME, False, id="own-frame-quoting-visible-code"),
    pytest.param(HIDDEN_FRAME, False, id="other-frame-quoting-hidden-code"),
    pytest.param(HELPER_FRAME, True, id="helper-module-frame"),
    pytest.param(OTHER_CELL_FRAME, True, id="other-cell-frame"),
])
def test_frames_quoting_hidden_code_and_own_frame_dropped(frame, kept):
    (hidden,) = hide(cell(traceback=[*HEADER, frame, LAST]))
    assert traceback_of(hidden) == [*HEADER, *([frame] if kept else []), LAST]


def test_error_output_keeps_name_and_message():
    traceback = [*HEADER, HELPER_FRAME, OWN_FRAME, HIDDEN_FRAME, LAST]
    (hidden,) = hide(cell(traceback=traceback))
    assert traceback_of(hidden) == [*HEADER, HELPER_FRAME, LAST]
    assert [o.output_type for o in hidden.outputs] == ["stream", "error"]
    assert hidden.outputs[1].ename == "AssertionError" and hidden.outputs[1].evalue == "answer() is the answer"


@pytest.mark.parametrize("traceback, expected", [
    pytest.param([OWN_FRAME], [ERROR], id="all-frames-dropped"),
    pytest.param([*HEADER, HIDDEN_FRAME, "Error: wrong line"], [*HEADER, "Error: wrong line", ERROR],
                 id="last-line-not-the-error"),
])
def test_error_name_and_message_appended_when_missing(traceback, expected):
    (hidden,) = hide(cell(traceback=traceback))
    assert traceback_of(hidden) == expected


def test_error_message_kept_when_it_quotes_hidden_code():
    """A message that repeats a hidden line drops IPython's last line; the message comes back after
    the header (whose first word is also the error name)."""
    source = f'{VISIBLE}\n### BEGIN HIDDEN TESTS\nassert answer() == 42, """\nthe answer is wrong\n"""\n' \
             "### END HIDDEN TESTS"
    last = f"{RED}AssertionError{RESET}: \nthe answer is wrong\n"
    (hidden,) = hide(cell(source, traceback=[*HEADER, OWN_FRAME, last], evalue="\nthe answer is wrong\n"))
    assert traceback_of(hidden) == [*HEADER, "AssertionError: \nthe answer is wrong\n"]


@pytest.mark.parametrize("untouched", [
    pytest.param(cell(traceback=[*HEADER, OWN_FRAME, LAST], metadata=nbgrader(grade=False, solution=True)),
                 id="solution-cell"),
    pytest.param(cell(traceback=[*HEADER, OWN_FRAME, LAST], metadata=None), id="no-nbgrader-metadata"),
    pytest.param(cell(VISIBLE, traceback=[*HEADER, OWN_FRAME, LAST]), id="grade-cell-without-hidden-tests"),
    pytest.param(new_markdown_cell(SOURCE, metadata={"nbgrader": nbgrader()}), id="markdown-cell"),
])
def test_other_cells_untouched(untouched):
    before = copy.deepcopy(untouched)
    assert hide(untouched) == [before]


def test_disabled_leaves_notebook_as_it_is():
    graded = cell(traceback=[*HEADER, OWN_FRAME, HIDDEN_FRAME, LAST])
    before = copy.deepcopy(graded)
    assert hide(graded, enabled=False) == [before]


def test_enabled_by_default():
    assert HideHiddenTests().enabled is True


def test_custom_markers():
    source = f"{VISIBLE}\n# >>> secret\nassert secret_check(answer())\n# <<< secret\n{AFTER}"
    traceback = [*HEADER, HELPER_FRAME, HIDDEN_FRAME, LAST]
    (hidden,) = hide(cell(source, traceback=traceback), begin="# >>> secret", end="# <<< secret",
                     placeholder="# hidden")
    assert hidden.source == f"{VISIBLE}\n# hidden\n{AFTER}"
    assert traceback_of(hidden) == [*HEADER, HELPER_FRAME, LAST]


def test_default_markers_ignored_with_custom_markers():
    graded = cell(traceback=[*HEADER, OWN_FRAME, LAST])
    before = copy.deepcopy(graded)
    assert hide(graded, begin="# >>> secret", end="# <<< secret") == [before]
