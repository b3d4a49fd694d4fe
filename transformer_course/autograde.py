"""Autograde: run collected submissions through nbgrader's Autograde converter, on every core.

Each worker process starts once, builds one `NbGraderAPI` and calls its `autograde` for one
student at a time: grading and gradebook writes are nbgrader's own, for one student exactly as
`nbgrader autograde --student` does it. (Executing in parallel and saving in one process would
mean taking nbgrader's converter apart.) Workers write different students' rows, so the writes
never conflict; the database serialises them. For SQLite a long busy timeout makes a writer wait
for the lock instead of failing; a server database (`db_url`) needs nothing. A student whose
grading still fails is graded once more, which `force` makes idempotent.
"""
import os
import re
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context

from nbgrader.api import MissingEntry
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SAWarning
from tqdm import tqdm
from traitlets.config import Config

from .course import check, CourseError
from .kernels import ForkingExecute, ForkingSafeExecute, notebook_imports
from .safe_execute import SafeExecute

SQLITE_BUSY_TIMEOUT = 300  # seconds a writer waits for the SQLite lock
RETRIES = 1
EXCEPTION = re.compile(r"^\s*((?!nbgrader\.)[\w.]*(?:Error|Exception|Exit): .*)$", re.M)

_api = None


def worker_config(course):
    """The course's config for a worker: SQLite waits for its lock; kernels are forked from a warm
    zygote (see kernels.py) and killed once done.

    Killing the kernel after its last cell cannot change a grade: nbclient has every output by
    then. It saves the half second `graceful` spends waiting for the kernel to exit.
    """
    config = Config(course.config)
    url = make_url(config.CourseDirectory.db_url)
    if url.get_backend_name() == "sqlite" and "timeout" not in url.query:
        config.CourseDirectory.db_url = url.update_query_dict(
            {"timeout": str(SQLITE_BUSY_TIMEOUT)}).render_as_string(hide_password=False)
    config.Execute.shutdown_kernel = "immediate"
    preprocessors = config.Autograde.get("autograde_preprocessors",
                                         Autograde.class_traits()["autograde_preprocessors"].default())
    forking = {Execute: ForkingExecute, SafeExecute: ForkingSafeExecute}
    config.Autograde.autograde_preprocessors = [forking.get(p, p) for p in preprocessors]
    config.ForkingKernelManager.preload = notebook_imports(course.notebook("source"))
    return config


def _start_worker(config):
    global _api
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    warnings.filterwarnings("ignore", category=SAWarning)  # nbgrader's own SQLAlchemy use, as in course.py

    _api = NbGraderAPI(CourseDirectory(config=config), config=config)


def reason(result):
    """Why nbgrader failed: the last exception its log names, else its last error line."""
    errors = EXCEPTION.findall(result.get("log") or "")
    if errors:
        return f"failed: {errors[-1].strip()}"
    try:
        check(result, "autograde")
    except CourseError as error:
        return str(error)


def _grade(assignment, student):
    """In a worker: nbgrader's autograde of one student; None if graded, else the reason."""
    for _ in range(1 + RETRIES):
        result = _api.autograde(assignment, student, force=True)
        if result["success"]:
            return None
    return reason(result)


def autograde(course, students=None, jobs=None):
    """Grade each student's submission on `jobs` processes (default: every core).

    Returns {student: None if graded, else the reason}; one failure does not stop the others.
    """
    students = list(students or course.submitted_students())
    with course.gradebook() as gradebook:  # creates the schema once, before any worker
        try:
            gradebook.find_assignment(course.assignment)
        except MissingEntry:
            raise CourseError(f"{course.assignment} is not in the gradebook: generate it first")
    if not students:
        return {}
    jobs = max(1, min(jobs or os.cpu_count(), len(students)))
    status = {}
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=_start_worker,
                             initargs=(worker_config(course),)) as pool:
        futures = {pool.submit(_grade, course.assignment, s): s for s in students}
        for future in tqdm(as_completed(futures), total=len(futures), desc="autograde", unit="student"):
            try:
                status[futures[future]] = future.result()
            except Exception as error:  # the worker itself died
                status[futures[future]] = f"failed: worker died ({error!r})"
    return {s: status[s] for s in students}
