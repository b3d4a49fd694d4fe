"""Autograde: run every collected submission through nbgrader's Autograde converter."""
from tqdm import tqdm

from .course import check, CourseError


def autograde(course, students=None):
    """Grade each student's submission; return {student: None if graded, else the reason}."""
    api = course.api()
    status = {}
    for student in tqdm(students or course.submitted_students(), desc="autograde", unit="student"):
        try:
            check(api.autograde(course.assignment, student, force=True), f"autograde {student}")
            status[student] = None
        except CourseError as error:
            status[student] = str(error)
    return status
