"""Export plugins for `nbgrader export --exporter=transformer_course.exporters.<Plugin>`."""
import csv

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin

from . import EXERCISES, NOTEBOOK


def exercise_of(grade_id, exercises):
    """The exercise (answer cell id) that a test cell's grade_id belongs to."""
    return max((e for e in exercises if grade_id.startswith(e)), key=len, default=grade_id)


def exercise_scores(gradebook, assignment, student):
    """{exercise: (score, max)} for one student's submission, in notebook order."""
    notebook = gradebook.find_notebook(NOTEBOOK, assignment)
    names = {cell.name for cell in notebook.solution_cells}
    exercises = [e for e in EXERCISES if e in names] + sorted(names - set(EXERCISES))
    scores = {e: [0.0, 0.0] for e in exercises}
    for cell in notebook.grade_cells:
        grade = gradebook.find_grade(cell.name, NOTEBOOK, assignment, student)
        entry = scores.setdefault(exercise_of(cell.name, exercises), [0.0, 0.0])
        entry[0] += grade.score
        entry[1] += cell.max_score
    return {e: tuple(v) for e, v in scores.items()}


class ExerciseCsvExportPlugin(ExportPlugin):
    """One row per student, one column per exercise, then total, max, late penalty and status."""

    def export(self, gradebook):
        rows = []
        for assignment in gradebook.assignments:
            if self.assignment and assignment.name not in self.assignment:
                continue
            exercises = None
            for student in sorted(gradebook.students, key=lambda s: s.id):
                if self.student and student.id not in self.student:
                    continue
                try:
                    submission = gradebook.find_submission(assignment.name, student.id)
                except MissingEntry:
                    submission = None
                if submission is None:
                    row = {"status": "missing", "total": 0.0, "late_penalty": 0.0}
                else:
                    scores = exercise_scores(gradebook, assignment.name, student.id)
                    row = {e: s for e, (s, _) in scores.items()}
                    row.update(total=submission.score, late_penalty=submission.late_submission_penalty,
                               status="late" if submission.total_seconds_late > 0 else "graded")
                    exercises = exercises or list(scores)
                rows.append(dict(row, student_id=student.id, assignment=assignment.name,
                                 max_score=assignment.max_score))
        columns = ["assignment", "student_id", *(exercises or []), "total", "max_score",
                   "late_penalty", "status"]
        with open(self.to or "grades_by_exercise.csv", "w", newline="") as handle:
            writer = csv.DictWriter(handle, columns, restval=0.0)
            writer.writeheader()
            writer.writerows(rows)
