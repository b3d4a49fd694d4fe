"""Grade: the intake of every collected submission, then sandboxed parallel autograde (nbgrader_sandbox)."""
from nbgrader_sandbox import GradingError, grade as grade_class

from ..course import CourseError


def grade(course, jobs=None, progress=None):
    """Inspect, then autograde every readable submission on `jobs` processes; `progress(student,
    reason)` is called as each is done. Returns ({student: reason not graded}, intake records)."""
    try:
        return grade_class(course.config, course.assignment, jobs=jobs, progress=progress)
    except GradingError as error:
        raise CourseError(str(error)) from None
