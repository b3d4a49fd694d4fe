"""Intake: inspect submitted/ before grading and record what is odd about each submission.

Per student: links, devices and oversized files (data.py) are refused, and the submission is
graded from a staged copy of its data (``intake/<student>/<assignment>/``); so is a submission whose
notebook is there only under another name ("exercises (1)"), renamed in the copy, never in
submitted/. Per notebook of the assignment: a notebook that is not valid nbformat is left out
of grading; test and locked cells that differ from the gradebook (nbgrader restores them),
duplicated grade_ids and nbgrader metadata without one (RepairIds repairs them in the autograded
copy) and changed nbgrader metadata are noted; cells that patch NumPy, builtins or the grading
helpers, or reach files outside the submission, are flagged for review (review.py). submitted/
stays exactly as the student handed it in; the records are kept beside the staged copies, in
``intake/<assignment>.json``. Grading adds its own notes (a kernel that filled its folder: disk.py),
which `load` merges in and a new intake of the submission clears.
"""
import copy
import json
import re
import shutil
from pathlib import Path

import nbformat
from nbformat import NotebookNode, ValidationError
from nbformat.reader import NotJSONError
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearHiddenTests
from nbgrader.utils import is_grade, is_locked, is_solution

from . import disk
from .collect import refused_at_collection
from .coursedir import STAGING, find_assignment, gradebook, submitted_students
from .data import copy_data, refusals
from .repair import RepairIds, repair_notes
from .review import review_notes



def is_copy(stem, notebook):
    """Whether a file name (without .ipynb) is the notebook's as browsers and Jupyter rename it:
    "exercises (1)", "exercises-Copy1", "Exercises"."""
    return bool(re.fullmatch(rf"{re.escape(notebook)}(?:\s*\(\d+\)|-copy\d*|[-_ ]\d+)?", stem, re.I))


def records_file(root, assignment):
    return Path(root) / STAGING / f"{assignment}.json"


def _intake_records(root, assignment):
    path = records_file(root, assignment)
    return json.loads(path.read_text()) if path.exists() else {}


def load(root, assignment):
    """{student: {"graded": bool, "notes": [str]}} of the last intake, with the notes of the last
    grading (a kernel that filled its folder: disk.py)."""
    records = _intake_records(root, assignment)
    for student, notes in disk.notes(root, assignment).items():
        record = records.setdefault(student, {"graded": True, "notes": []})
        record["notes"] = record["notes"] + notes
    return records


def status(record, base="graded"):
    """The instructor's status: `base` (graded, late, missing) and the notes, or only the notes
    when the intake kept the submission from grading."""
    if record and not record["graded"]:
        return "; ".join(record["notes"])
    return "; ".join([base, *(record or {}).get("notes", [])])


def summary(records):
    """One line per submission with notes, for the instructor."""
    return [f"  {s}: {status(r)}" for s, r in sorted(records.items()) if r["notes"]]


def find_notebook(folder, name, expected, refused=()):
    """The submitted file for notebook `name`: its own, else the newest copy under another name (of
    the files that are no other expected notebook's), never a refused one. Returns (path or None,
    note or None)."""
    notebooks = [p for p in folder.glob("*.ipynb") if p.name not in refused]
    target = folder / f"{name}.ipynb"
    if target in notebooks:
        return target, None
    notebooks = sorted((p for p in notebooks if p.stem not in expected), key=lambda p: p.stat().st_mtime,
                       reverse=True)
    candidates = [p for p in notebooks if is_copy(p.stem, name)] or notebooks
    if not candidates:
        return None, None
    note = f"renamed from {candidates[0].name}"
    if len(candidates) > 1:
        note += f" (newest of {', '.join(p.name for p in candidates)})"
    return candidates[0], note


def read(path):
    """The notebook, or why it cannot be graded. Cell ids in a notebook of an older minor version
    (nbformat 4.0-4.4) are no reason: nbgrader grades such notebooks."""
    try:
        nb = nbformat.read(path, as_version=4)
        try:
            nbformat.validate(nb)
        except ValidationError:
            nbformat.validate(dict(copy.deepcopy(nb), nbformat_minor=nbformat.v4.nbformat_minor))
    except NotJSONError:
        return None, "unreadable: not JSON (truncated or corrupted)"
    except ValidationError as error:
        return None, f"unreadable: not a valid notebook ({error.message[:100]})"
    except Exception as error:  # nbformat's other complaints: no version, unknown version, ...
        return None, f"unreadable: {type(error).__name__}: {str(error).splitlines()[0][:100]}"
    return nb, None


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


def reference_cells(gb, assignment):
    """{notebook: {grade_id: facts of the gradebook's cell, as released}} of the assignment."""
    notebooks = {}
    for notebook in find_assignment(gb, assignment).notebooks:
        points = {c.name: c.max_score for c in notebook.grade_cells}
        solutions = {c.name for c in notebook.solution_cells}
        cells = notebooks[notebook.name] = {}
        for cell in notebook.source_cells:
            shown = released(cell, cell.name in points)
            cells[cell.name] = {"cell_type": cell.cell_type, "source": shown.source, "locked": cell.locked,
                                "grade": cell.name in points, "points": points.get(cell.name),
                                "solution": cell.name in solutions}
    return notebooks


def inspect_notebook(nb, reference):
    """The notes on one readable notebook, judged on it as RepairIds leaves it."""
    repaired, _ = RepairIds().preprocess(copy.deepcopy(nb), {})
    notes = repair_notes(nb)
    return notes + cell_notes(repaired, reference) + review_notes(repaired, reference)


def inspect_student(folder, references, staged, max_bytes, collected=None):
    """{"graded", "notes"} for one submission folder. If it holds entries to refuse, or a notebook
    only under another name, its data is copied to `staged` (that file renamed); otherwise `staged`
    is removed. `collected` are the refusals made when it was collected."""
    folder = Path(folder)
    refused = refusals(folder, max_bytes)
    notes, problems, renames = [], [], {}
    for name, reference in references.items():
        prefix = f"{name}.ipynb: " if len(references) > 1 else ""
        path, renamed = find_notebook(folder, name, set(references), refused)
        if path is None:
            problems.append(f"{prefix}unreadable: no notebook")
            continue
        if renamed:
            renames[path.name] = f"{name}.ipynb"
            notes.append(prefix + renamed)
        nb, problem = read(path)
        if problem:
            problems.append(prefix + problem)
        else:
            notes += [prefix + note for note in inspect_notebook(nb, reference)]
    notes += [f"refused at collection: {path} ({why})" for path, why in sorted((collected or {}).items())]
    notes += [f"refused: {path} ({why})" for path, why in sorted(refused.items())]
    shutil.rmtree(staged, ignore_errors=True)
    if problems:
        return {"graded": False, "notes": problems + notes}
    if renames or refused:
        copy_data(folder, staged, max_bytes)
        for old, new in renames.items():
            (staged / old).rename(staged / new)
    return {"graded": True, "notes": notes}


def intake(config, assignment, students=None):
    """Inspect every submission of `assignment` (or `students`), stage those with a renamed notebook
    or refused entries, store the records and return {student: record}."""
    coursedir = CourseDirectory(config=config)
    with gradebook(config) as gb:
        references = reference_cells(gb, assignment)
    collected = refused_at_collection(coursedir.root, assignment)
    found = {}
    for student in students or submitted_students(config, assignment):
        found[student] = inspect_student(coursedir.format_path(coursedir.submitted_directory, student, assignment),
                                         references, Path(coursedir.format_path(STAGING, student, assignment)),
                                         1000 * coursedir.max_file_size, collected.get(student))
        disk.forget(coursedir.root, assignment, student)  # notes of grading an earlier submission
    path = records_file(coursedir.root, assignment)
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(dict(_intake_records(coursedir.root, assignment), **found), indent=1, sort_keys=True))
    return found
