"""Parallel autograde: run collected submissions through nbgrader's Autograde converter, on every core;
`grade` runs the intake first.

Each worker process starts once, builds one `NbGraderAPI` and calls its `autograde` for one
student at a time: grading and gradebook writes are nbgrader's own, for one student exactly as
`nbgrader autograde --student` does it. (Executing in parallel and saving in one process would
mean taking nbgrader's converter apart.) Workers write different students' rows, so the writes
never conflict; the database serialises them. For SQLite a long busy timeout makes a writer wait
for the lock instead of failing; a server database (`db_url`) needs nothing. A student whose
grading still fails is graded once more, which `force` makes idempotent. A worker that dies (killed,
out of memory) takes its pool down: a new pool grades, once more, every student not done by then.
A full disk (the course's folder or a SQLite gradebook in it) stops the run: no student is started
after it, and GradingError says where it came; running `grade` again once there is space regrades
every student, the one half written included.

A submission the intake staged (intake.py: a renamed notebook, refused links) is graded from its
staged copy.
"""
import errno
import glob
import os
import re
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

from nbgrader.converters import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SAWarning
from traitlets.config import Config

from .coursedir import STAGING, disk_full, disk_full_error, find_assignment, gradebook, submitted_students
from .execute import SafeExecute
from .intake import intake, load
from .kernels import notebook_imports

SQLITE_BUSY_TIMEOUT = 300  # seconds a writer waits for the SQLite lock
RETRIES = 1
EXCEPTION = re.compile(r"^\s*((?!nbgrader\.)[\w.]*(?:Error|Exception|Exit): .*)$", re.M)

_api = None


def worker_config(config, assignment):
    """The course's config for a worker: SQLite waits for its lock; kernels run by SafeExecute
    (nbgrader's Execute is replaced by it), forked from a warm zygote that preloads what the
    assignment's read-only cells import (unless `SafeExecute.preload` is set), and killed once done.

    Killing the kernel after its last cell cannot change a grade: nbclient has every output by
    then. It saves the half second `graceful` spends waiting for the kernel to exit.
    """
    config = Config(config)
    url = make_url(CourseDirectory(config=config).db_url)
    if url.get_backend_name() == "sqlite" and "timeout" not in url.query:
        config.CourseDirectory.db_url = url.update_query_dict(
            {"timeout": str(SQLITE_BUSY_TIMEOUT)}).render_as_string(hide_password=False)
    config.Execute.shutdown_kernel = "immediate"
    preprocessors = config.Autograde.get("autograde_preprocessors",
                                         Autograde.class_traits()["autograde_preprocessors"].default())
    config.Autograde.autograde_preprocessors = [SafeExecute if p is Execute else p for p in preprocessors]
    config.SafeExecute.fork_kernels = True
    if "preload" not in config.SafeExecute:
        coursedir = CourseDirectory(config=config)
        source = coursedir.format_path(coursedir.source_directory, ".", assignment)
        config.SafeExecute.preload = notebook_imports(*sorted(glob.glob(os.path.join(source, "*.ipynb"))))
    return config


def _start_worker(config):
    global _api
    from nbgrader.apps import NbGraderAPI

    warnings.filterwarnings("ignore", category=SAWarning)  # nbgrader's own SQLAlchemy use
    _api = NbGraderAPI(CourseDirectory(config=config), config=config)


def reason(result):
    """Why nbgrader failed: the last exception its log names, else its last error line."""
    errors = EXCEPTION.findall(result.get("log") or "")
    if errors:
        return f"failed: {errors[-1].strip()}"
    message = (result.get("error") or result.get("log") or "").strip().splitlines()
    return f"autograde failed: {message[-1] if message else 'no details'}"


def _grade(assignment, student):
    """In a worker: nbgrader's autograde of one student; None if graded, else the reason. A full disk
    is not retried: OSError(ENOSPC)."""
    coursedir = _api.coursedir
    submitted = coursedir.submitted_directory
    staged = os.path.isdir(coursedir.format_path(STAGING, student, assignment))
    coursedir.submitted_directory = STAGING if staged else submitted
    try:
        for _ in range(1 + RETRIES):
            result = _api.autograde(assignment, student, force=True)
            if result["success"]:
                return None
            if disk_full(result.get("log")) or disk_full(result.get("error")):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    finally:
        coursedir.submitted_directory = submitted
    return reason(result)


def autograde(config, assignment, students=None, jobs=None, progress=None):
    """Grade each student's submission of `assignment` (default: all in submitted/) with nbgrader's
    Autograde on `jobs` processes (default: every core), with the course's nbgrader `config`.

    `progress(student, reason)` is called as each student is done. Returns {student: None if
    graded, else the reason}; one failure does not stop the others, a full disk stops all
    (GradingError, once the students being graded are done).
    """
    students = list(students or submitted_students(config, assignment))
    with gradebook(config) as gb:  # creates the schema once, before any worker
        find_assignment(gb, assignment)
    if not students:
        return {}
    jobs = max(1, min(jobs or os.cpu_count(), len(students)))
    status, pending = {}, students
    for attempt in range(1 + RETRIES):  # a worker that died takes the pool down: a new pool grades the rest
        lost = []
        with ProcessPoolExecutor(min(jobs, len(pending)), mp_context=get_context("spawn"),
                                 initializer=_start_worker, initargs=(worker_config(config, assignment),)) as pool:
            futures = {pool.submit(_grade, assignment, s): s for s in pending}
            for future in as_completed(futures):
                student = futures[future]
                try:
                    status[student] = future.result()
                except BrokenProcessPool as error:
                    if attempt < RETRIES:
                        lost.append(student)
                        continue
                    status[student] = f"failed: worker died ({error!r})"
                except Exception as error:
                    if disk_full(error):
                        pool.shutdown(wait=False, cancel_futures=True)
                        raise disk_full_error(config, f"grading {student}") from None
                    status[student] = f"failed: worker died ({error!r})"  # the worker itself died
                if progress is not None:
                    progress(student, status[student])
        pending = lost
        if not pending:
            break
    return {s: status[s] for s in students}


def grade(config, assignment, students=None, jobs=None, progress=None):
    """Inspect, then autograde every readable submission on `jobs` processes; `progress(student,
    reason)` is called as each student is done (the unreadable ones first).

    Returns ({student: reason not graded}, intake records with the notes of grading). An unreadable
    submission's student is added to the gradebook, as nbgrader does for those it grades, so exports
    list them. A full disk stops it: GradingError."""
    try:
        records = intake(config, assignment, students)
        problems = {s: "; ".join(r["notes"]) for s, r in records.items() if not r["graded"]}
        with gradebook(config) as gb:
            for student, reason in problems.items():
                gb.update_or_create_student(student)
                if progress is not None:
                    progress(student, reason)
    except Exception as error:
        if disk_full(error):
            raise disk_full_error(config, "taking in the submissions") from None
        raise
    readable = [s for s in records if s not in problems]
    if readable:
        graded = autograde(config, assignment, readable, jobs=jobs, progress=progress)
        problems.update({s: p for s, p in graded.items() if p})
    latest = load(CourseDirectory(config=config).root, assignment)  # with the notes of grading
    return problems, {s: latest.get(s, r) for s, r in records.items()}
