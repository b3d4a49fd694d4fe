"""What the engine reads of an nbgrader course: its submissions and its gradebook, and where it keeps
its own records (STAGING)."""
import glob
import os

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory

STAGING = "intake"  # folder of the course, beside submitted/: the intake's records and staged copies


class GradingError(Exception):
    """The class cannot be graded at all (e.g. the assignment is not in the gradebook)."""


def submitted_students(config, assignment):
    """Students with a folder for the assignment in submitted/, sorted."""
    coursedir = CourseDirectory(config=config)
    pattern = coursedir.format_path(coursedir.submitted_directory, "*", assignment)
    return sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(pattern) if os.path.isdir(p))


def gradebook(config):
    """The course's gradebook (a context manager); creates its schema on first use."""
    coursedir = CourseDirectory(config=config)
    return Gradebook(coursedir.db_url, course_id=coursedir.course_id)


def find_assignment(gb, assignment):
    """The gradebook's assignment, or GradingError."""
    try:
        return gb.find_assignment(assignment)
    except MissingEntry:
        raise GradingError(f"{assignment} is not in the gradebook: generate it first") from None
