"""Release: turn the source notebook into the student version and put it in the exchange."""
from .course import check


def generate(course):
    """`nbgrader generate_assignment`: strip solutions and hidden tests into release/."""
    check(course.api().generate_assignment(course.assignment, force=True), "generate_assignment")
    return course.path("release")


def set_due(course, duedate):
    """Set the assignment's due date in the gradebook (a datetime or a string nbgrader parses)."""
    with course.gradebook() as gradebook:
        return gradebook.update_or_create_assignment(course.assignment, duedate=duedate).duedate


def release(course, duedate=None):
    """Generate the student version and release it to the exchange (again if it was already)."""
    generate(course)
    if duedate is not None:
        set_due(course, duedate)
    api = course.api()
    api.unrelease(course.assignment)
    check(api.release_assignment(course.assignment), "release_assignment")
    return course.exchange
