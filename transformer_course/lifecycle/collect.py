"""Collect: copy the students' submissions from the exchange into submitted/."""
from ..course import check


def collect(course):
    """`nbgrader collect`, keeping the newest submission of each student."""
    check(course.api().collect(course.assignment, update=True), "collect")
    return course.submitted_students()
