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


def grade_by_hand(course, student, cell, score, comment=""):
    """What formgrader stores when an instructor grades a written answer: the manual score and comment
    of one cell of a student's autograded submission."""
    from .. import NOTEBOOK

    with course.gradebook() as gradebook:
        grade = gradebook.find_grade(cell, NOTEBOOK, course.assignment, student)
        if not 0 <= score <= grade.max_score:
            raise CourseError(f"{cell}: a score between 0 and {grade.max_score:g}, not {score:g}")
        grade.manual_score = score
        gradebook.find_comment(cell, NOTEBOOK, course.assignment, student).manual_comment = comment
        gradebook.db.commit()
        return grade.score
