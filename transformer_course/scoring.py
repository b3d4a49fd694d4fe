"""Scores read from the gradebook, per check, per exercise and per submission: the one home of the
arithmetic that the exporters, the report, the answer catalogue and the benchmark share."""
from nbgrader.api import Grade, MissingEntry

from . import ASSIGNMENTS, NOTEBOOK


def exercise_of(grade_id, exercises):
    """The exercise (answer cell id) that a test cell's grade_id belongs to."""
    return max((e for e in exercises if grade_id.startswith(e)), key=len, default=grade_id)


def exercises_of(gradebook, assignment):
    """The exercises (answer cell ids) of an assignment, in notebook order."""
    names = {cell.name for cell in gradebook.find_notebook(NOTEBOOK, assignment).solution_cells}
    known = ASSIGNMENTS.get(assignment, ())
    return [e for e in known if e in names] + sorted(names - set(known))


def check_scores(gradebook, assignment, student):
    """{test cell: (score, max)} for one student's submission, in notebook order."""
    notebook = gradebook.find_notebook(NOTEBOOK, assignment)
    return {cell.name: (gradebook.find_grade(cell.name, NOTEBOOK, assignment, student).score, cell.max_score)
            for cell in notebook.grade_cells}


def exercise_scores(gradebook, assignment, student):
    """{exercise: (score, max)} for one student's submission, in notebook order."""
    scores = {e: [0.0, 0.0] for e in exercises_of(gradebook, assignment)}
    for name, (score, points) in check_scores(gradebook, assignment, student).items():
        entry = scores.setdefault(exercise_of(name, scores), [0.0, 0.0])
        entry[0] += score
        entry[1] += points
    return {e: tuple(v) for e, v in scores.items()}


def submission_row(gradebook, assignment, student):
    """{total, late_penalty, status} of one student: graded, late or missing."""
    try:
        submission = gradebook.find_submission(assignment, student)
    except MissingEntry:
        return {"total": 0.0, "late_penalty": 0.0, "status": "missing"}
    penalty = submission.late_submission_penalty or 0.0
    return {"total": max(0.0, submission.score - penalty), "late_penalty": penalty,
            "status": "late" if submission.total_seconds_late > 0 else "graded"}


def grade_rows(gradebook):
    """Every grade of the gradebook as sorted (student, notebook, cell, auto_score, manual_score) rows."""
    return sorted((g.student.id, g.notebook.name, g.name, g.auto_score, g.manual_score)
                  for g in gradebook.db.query(Grade))
