"""Feedback: an HTML page per graded student, released back through the exchange."""
from .course import check


def feedback(course):
    """`nbgrader generate_feedback` for every autograded student, then `release_feedback`."""
    api = course.api()
    check(api.generate_feedback(course.assignment, force=True), "generate_feedback")
    check(api.release_feedback(course.assignment), "release_feedback")
    return sorted(course.root.glob(f"feedback/*/{course.assignment}/*.html"))
