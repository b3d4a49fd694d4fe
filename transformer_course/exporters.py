"""Export plugins for `nbgrader export --exporter=transformer_course.exporters.<Plugin>`.

Every student of the gradebook gets one row per assignment; a student without a submission gets
0 and the status "missing". Scores are after the late penalty, like nbgrader's `score` column.
"""
import csv
from pathlib import Path

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Unicode

from . import EXERCISES, NOTEBOOK
from .intake import load, status


def exercise_of(grade_id, exercises):
    """The exercise (answer cell id) that a test cell's grade_id belongs to."""
    return max((e for e in exercises if grade_id.startswith(e)), key=len, default=grade_id)


def exercises_of(gradebook, assignment):
    """The exercises (answer cell ids) of an assignment, in notebook order."""
    names = {cell.name for cell in gradebook.find_notebook(NOTEBOOK, assignment).solution_cells}
    return [e for e in EXERCISES if e in names] + sorted(names - set(EXERCISES))


def exercise_scores(gradebook, assignment, student):
    """{exercise: (score, max)} for one student's submission, in notebook order."""
    notebook = gradebook.find_notebook(NOTEBOOK, assignment)
    scores = {e: [0.0, 0.0] for e in exercises_of(gradebook, assignment)}
    for cell in notebook.grade_cells:
        grade = gradebook.find_grade(cell.name, NOTEBOOK, assignment, student)
        entry = scores.setdefault(exercise_of(cell.name, scores), [0.0, 0.0])
        entry[0] += grade.score
        entry[1] += cell.max_score
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


class CourseExportPlugin(ExportPlugin):
    """An ExportPlugin writing one CSV row per (assignment, student), honouring --assignment/--student."""

    default_to = "grades.csv"  # when `to` is not set

    def rows(self, gradebook):
        for assignment in gradebook.assignments:
            if self.assignment and assignment.name not in self.assignment:
                continue
            for student in sorted(gradebook.students, key=lambda s: s.id):
                if not self.student or student.id in self.student:
                    yield assignment, student, submission_row(gradebook, assignment.name, student.id)

    def write(self, columns, rows):
        with open(self.to or self.default_to, "w", newline="") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            writer.writerows(rows)


class ExerciseCsvExportPlugin(CourseExportPlugin):
    """Columns: assignment, student_id, one per exercise, total, max_score, late_penalty, status."""

    default_to = "grades_by_exercise.csv"

    def export(self, gradebook):
        exercises = {e: None for a in gradebook.assignments for e in exercises_of(gradebook, a.name)}
        root = Path(self.config.CourseDirectory.root or ".")
        rows = []
        for assignment, student, result in self.rows(gradebook):
            scores = dict.fromkeys(exercises_of(gradebook, assignment.name), 0.0)
            if result["status"] != "missing":
                scores = {e: s for e, (s, _) in exercise_scores(gradebook, assignment.name, student.id).items()}
            result["status"] = status(load(root, assignment.name).get(student.id), result["status"])
            rows.append(dict(scores, **result, assignment=assignment.name, student_id=student.id,
                             max_score=assignment.max_score))
        self.write(["assignment", "student_id", *exercises, "total", "max_score", "late_penalty", "status"],
                   rows)


class CanvasCsvExportPlugin(CourseExportPlugin):
    """A CSV for Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, points.

    ID is the roster's lms_id (Canvas user id), SIS User ID the roster id, SIS Login ID its email.
    """

    default_to = "grades_canvas.csv"
    canvas_assignment_id = Unicode("", help="Canvas id of the assignment, for its column header.").tag(config=True)
    section = Unicode("", help="Value of the Section column.").tag(config=True)

    def header(self, assignment):
        return f"{assignment} ({self.canvas_assignment_id})" if self.canvas_assignment_id else assignment

    def export(self, gradebook):
        names = [a.name for a in gradebook.assignments if not self.assignment or a.name in self.assignment]
        merged = {}
        for assignment, student, result in self.rows(gradebook):
            row = merged.setdefault(student.id, {
                "Student": f"{student.last_name}, {student.first_name}", "ID": student.lms_user_id or "",
                "SIS User ID": student.id, "SIS Login ID": student.email or "", "Section": self.section})
            row[self.header(assignment.name)] = result["total"]
        self.write(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *map(self.header, names)],
                   merged.values())
