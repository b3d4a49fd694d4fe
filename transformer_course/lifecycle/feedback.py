"""Feedback: an HTML page per graded student, released back through the exchange.

The pages hide the hidden tests' code (plugins/hide_hidden_tests.py, set in nbgrader_config.py).
"""
from ..course import check, silent


def feedback(course, students=None, bar=silent):
    """`nbgrader generate_feedback` for each autograded student; `release_feedback` for those who
    submitted through the exchange (the others, collected from an LMS zip, have no timestamp to
    release against: upload their HTML to the LMS). Returns (pages, released students)."""
    api = course.api()
    students = students or sorted(p.parent.name for p in course.root.glob(f"autograded/*/{course.assignment}"))
    released = []
    for student in bar(students, desc="feedback"):
        check(api.generate_feedback(course.assignment, student, force=True), f"generate_feedback {student}")
        if (course.path("feedback", student) / "timestamp.txt").exists():
            check(api.release_feedback(course.assignment, student), f"release_feedback {student}")
            released.append(student)
    return sorted(course.root.glob(f"feedback/*/{course.assignment}/*.html")), released
