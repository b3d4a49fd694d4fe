"""Intake: inspect submitted/ before grading and record what is odd about each submission.

Per student: a notebook under another name is renamed to the assignment's name; a notebook that
is not valid nbformat is left out of grading; test and locked cells that differ from the
gradebook (nbgrader restores them), duplicated grade_ids and changed nbgrader metadata are noted;
cells that patch NumPy, builtins or the grading helpers, or reach files outside the submission,
are flagged for review (review.py). The result is `reports/intake_<assignment>.json`, read by
the exports, the CLI and the class report.
"""
import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import nbformat
from nbformat import NotebookNode, ValidationError
from nbformat.reader import NotJSONError
from nbgrader.preprocessors import ClearHiddenTests, DeduplicateIds
from nbgrader.utils import is_grade, is_locked, is_solution

from . import NOTEBOOK
from .review import review_notes

def is_copy(stem, notebook=NOTEBOOK):
    """Whether a file name (without .ipynb) is the notebook's as browsers and Jupyter rename it:
    "exercises (1)", "exercises-Copy1", "Exercises"."""
    return bool(re.fullmatch(rf"{re.escape(notebook)}(?:\s*\(\d+\)|-copy\d*|[-_ ]\d+)?", stem, re.I))


def intake_file(root, assignment):
    return Path(root) / "reports" / f"intake_{assignment}.json"


def load(root, assignment):
    """{student: {"graded": bool, "notes": [str], "sha256": of the notebook}} of the last intake."""
    path = intake_file(root, assignment)
    return json.loads(path.read_text()) if path.exists() else {}


def status(record, base="graded"):
    """The instructor's status: `base` (graded, late, missing) and the notes, or only the notes
    when the intake kept the submission from grading."""
    if record and not record["graded"]:
        return "; ".join(record["notes"])
    return "; ".join([base, *(record or {}).get("notes", [])])


def find_notebook(folder):
    """Rename a differently named notebook to the assignment's; return (path or None, notes)."""
    target = folder / f"{NOTEBOOK}.ipynb"
    if target.exists():
        return target, []
    notebooks = sorted(folder.glob("*.ipynb"), key=lambda p: p.stat().st_mtime, reverse=True)
    candidates = [p for p in notebooks if is_copy(p.stem)] or notebooks
    if not candidates:
        return None, ["unreadable: no notebook"]
    chosen = candidates[0]
    note = f"renamed from {chosen.name}"
    if len(candidates) > 1:
        note += f" (newest of {', '.join(p.name for p in candidates)})"
    chosen.rename(target)
    return target, [note]


def read(path):
    """The notebook, or why it cannot be graded."""
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except NotJSONError:
        return None, "unreadable: not JSON (truncated or corrupted)"
    except ValidationError as error:
        return None, f"unreadable: not a valid notebook ({error.message[:100]})"
    except Exception as error:  # nbformat's other complaints: no version, unknown version, ...
        return None, f"unreadable: {type(error).__name__}: {str(error).splitlines()[0][:100]}"
    return nb, None


def repair(nb):
    """Keep the last of duplicated grade_ids, as nbgrader's DeduplicateIds does, but drop the
    others' nbgrader metadata instead of emptying it, and drop nbgrader metadata without a
    grade_id: with `add_missing_cells` nbgrader crashes on either. Return the notes; `nb` is
    changed in place."""
    nameless = [c for c in nb.cells if "grade_id" not in c.metadata.get("nbgrader", {"grade_id": None})]
    for cell in nameless:
        del cell.metadata["nbgrader"]
    ids = Counter(c.metadata.nbgrader["grade_id"] for c in nb.cells if "nbgrader" in c.metadata)
    notes = [f"duplicated grade_id {i} (the last one graded)" for i, n in ids.items() if n > 1]
    if nameless:
        notes.append(f"nbgrader metadata without grade_id removed from {len(nameless)} cell(s)")
    DeduplicateIds().preprocess(nb, {})
    for cell in nb.cells:
        if cell.metadata.get("nbgrader") == {}:
            del cell.metadata["nbgrader"]
    return notes


def released(source_cell, grade):
    """The gradebook's cell as the student received it: hidden tests removed."""
    cell = NotebookNode(cell_type=source_cell.cell_type, source=source_cell.source,
                        metadata=NotebookNode(nbgrader=NotebookNode(grade=grade)))
    ClearHiddenTests().preprocess_cell(cell, {}, 0)
    return cell


def cell_notes(nb, reference):
    """Deleted, duplicated, edited and re-labelled nbgrader cells, compared with the gradebook."""
    cells = [c for c in nb.cells if "grade_id" in c.metadata.get("nbgrader", {})]
    ids = {c.metadata.nbgrader["grade_id"] for c in cells}
    notes = []
    deleted = [n for n, r in reference.items() if r["grade"] and n not in ids]
    if deleted:
        notes.append(f"tests deleted (restored): {', '.join(deleted)}")
    edited = []
    changed = [f"answer cell {n} made non-graded" for n, r in reference.items() if r["solution"] and n not in ids]
    for cell in cells:
        name = cell.metadata.nbgrader["grade_id"]
        ref = reference.get(name)
        if ref is None:
            changed.append(f"{name} not in the gradebook")
            continue
        if ref["solution"] and not is_solution(cell):
            changed.append(f"answer cell {name} made non-graded")
        if ref["grade"] != is_grade(cell):
            changed.append(f"{name} grade {ref['grade']} -> {is_grade(cell)}")
        if ref["locked"] != is_locked(cell):
            changed.append(f"{name} locked {ref['locked']} -> {is_locked(cell)}")
        points = cell.metadata.nbgrader.get("points")
        if ref["grade"] and is_grade(cell) and float(points or 0) != ref["points"]:
            changed.append(f"{name} points {ref['points']:g} -> {points}")
        if ref["locked"] and (cell.cell_type, cell.source) != (ref["cell_type"], ref["source"]):
            edited.append(name)
    if edited:
        notes.append(f"tests edited (restored): {', '.join(sorted(set(edited)))}")
    if changed:
        notes.append(f"metadata changed (restored where nbgrader can): {'; '.join(changed)}")
    return notes


def reference_cells(course):
    """{grade_id: facts of the gradebook's cell, as released}."""
    with course.gradebook() as gradebook:
        notebook = gradebook.find_notebook(NOTEBOOK, course.assignment)
        points = {c.name: c.max_score for c in notebook.grade_cells}
        solutions = {c.name for c in notebook.solution_cells}
        cells = {}
        for cell in notebook.source_cells:
            shown = released(cell, cell.name in points)
            cells[cell.name] = {"cell_type": cell.cell_type, "source": shown.source, "locked": cell.locked,
                                "grade": cell.name in points, "points": points.get(cell.name),
                                "solution": cell.name in solutions}
    return cells


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def inspect_student(folder, reference, previous=None):
    """{"graded", "notes", "sha256"} for one submission folder, renaming and repairing its notebook
    if needed. A notebook unchanged since the `previous` intake keeps its record (and its notes
    about the renaming and repairs already made)."""
    path, notes = find_notebook(Path(folder))
    if path is None:
        return {"graded": False, "notes": notes}
    if previous and previous.get("sha256") == digest(path):
        return previous
    nb, problem = read(path)
    if problem:
        return {"graded": False, "notes": [problem, *notes], "sha256": digest(path)}
    repaired = repair(nb)
    if repaired:
        nbformat.write(nb, path)
    notes += repaired + cell_notes(nb, reference) + review_notes(nb, reference)
    return {"graded": True, "notes": notes, "sha256": digest(path)}


def intake(course, students=None):
    """Inspect every submission (or `students`); store the records and return {student: record}."""
    reference = reference_cells(course)
    records = load(course.root, course.assignment)
    found = {s: inspect_student(course.path("submitted", s), reference, records.get(s))
             for s in students or course.submitted_students()}
    path = intake_file(course.root, course.assignment)
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(dict(records, **found), indent=1, sort_keys=True))
    return found


def summary(records):
    """One line per submission with notes, for the instructor."""
    return [f"  {s}: {status(r)}" for s, r in sorted(records.items()) if r["notes"]]
