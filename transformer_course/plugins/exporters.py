"""Export plugins for `nbgrader export --exporter=transformer_course.plugins.<Plugin>`.

Every student of the gradebook gets one row per assignment; a student without a submission gets
0 and the status "missing". Scores are after the late penalty, like nbgrader's `score` column.
"""
import csv
from pathlib import Path

from nbgrader.plugins import ExportPlugin
from nbgrader_sandbox.intake import load, status
from traitlets import Unicode

from ..scoring import exercise_scores, exercises_of, submission_row


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
