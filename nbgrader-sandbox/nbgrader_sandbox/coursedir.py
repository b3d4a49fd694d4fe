"""What the engine reads of an nbgrader course: its submissions and its gradebook, and where it keeps
its own records (STAGING)."""
import errno
import glob
import os
import re

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory

DISK_FULL = re.compile(r"\[Errno 28\]|No space left on device|database or disk is full")
STAGING = "intake"  # folder of the course, beside submitted/: the intake's records and staged copies


class GradingError(Exception):
    """The class cannot be graded at all (e.g. the assignment is not in the gradebook), or grading
    had to stop (the course's disk is full)."""


def disk_full(error):
    """Whether an exception (or the text of nbgrader's log of one) says the disk is full: ENOSPC,
    or SQLite's SQLITE_FULL."""
    if isinstance(error, BaseException):
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            return True
        error = str(error)
    return bool(DISK_FULL.search(error or ""))


def disk_full_error(config, doing):
    """The GradingError of a full disk, met while `doing` (e.g. "grading alice")."""
    root = CourseDirectory(config=config).root
    return GradingError(f"the disk of {root} is full ({os.strerror(errno.ENOSPC)}) while {doing}: "
                        "free space and run grade again")


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
