"""Release: turn the source notebook into the student version and put it in the exchange."""
from nbgrader.utils import parse_utc

from ..course import CourseError, check


def generate(course):
    """`nbgrader generate_assignment`: strip solutions and hidden tests into release/."""
    check(course.api().generate_assignment(course.assignment, force=True), "generate_assignment")
    return course.path("release")


def parse_due(duedate):
    """A due date as nbgrader stores it (naive UTC), from a datetime or a string such as
    '2026-12-01 17:00:00 UTC'; CourseError if it cannot be read."""
    try:
        return parse_utc(duedate)
    except (ValueError, OverflowError):
        raise CourseError(f"cannot read the due date {duedate!r}: use e.g. '2026-12-01 17:00:00 UTC'") from None


def set_due(course, duedate):
    """Set the assignment's due date in the gradebook."""
    duedate = parse_due(duedate)
    with course.gradebook() as gradebook:
        return gradebook.update_or_create_assignment(course.assignment, duedate=duedate).duedate


def release(course, duedate=None):
    """Generate the student version and release it to the exchange (again if it was already)."""
    parse_due(duedate)
    generate(course)
    if duedate is not None:
        set_due(course, duedate)
    api = course.api()
    api.unrelease(course.assignment)
    check(api.release_assignment(course.assignment), "release_assignment")
    return course.exchange
