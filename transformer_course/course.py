"""The course folder: its nbgrader configuration and the API bound to it."""
import os
import shutil
import sys
import warnings
from pathlib import Path

from nbgrader_sandbox.coursedir import gradebook, submitted_students
from sqlalchemy.exc import SAWarning
from tqdm import tqdm
from traitlets.config import Config, PyFileConfigLoader

from . import ASSIGNMENT, NOTEBOOK

ROOT = Path(__file__).resolve().parent.parent


class CourseError(Exception):
    """A problem the user can fix, reported in one line."""


def silent(iterable=None, **kwargs):
    """The progress bar of library code unless the caller passes one (the CLI's tqdm): none."""
    return tqdm(iterable, disable=True, **kwargs)


def setup_environment():
    """Make nbgrader work from this process: `alembic` on PATH, a non-GUI matplotlib, the sandboxed
    kernelspec of the grading engine installed, nbgrader's SQLAlchemy warnings off. An explicit step
    of the command line and the test fixtures, never of `Course()`."""
    from nbgrader_sandbox import install_kernelspec

    install_kernelspec()
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    os.environ.setdefault("MPLBACKEND", "Agg")
    # nbgrader's own use of SQLAlchemy warns on every autograde; it is not the user's concern.
    warnings.filterwarnings("ignore", category=SAWarning)


class Course:
    """A course folder laid out the nbgrader way, with `nbgrader_config.py` at its root."""

    def __init__(self, root=ROOT, assignment=ASSIGNMENT, **overrides):
        self.root = Path(root).resolve()
        self.assignment = assignment
        config_file = self.root / "nbgrader_config.py"
        if not config_file.exists():
            raise CourseError(f"{self.root} is not a course folder: no nbgrader_config.py")
        try:
            self.config = PyFileConfigLoader(config_file.name, path=str(self.root)).load_config()
        except Exception as error:
            raise CourseError(f"{config_file}: {error}") from None
        self.config.CourseDirectory.root = str(self.root)
        for section, values in overrides.items():
            self.config[section].update(values)

    @classmethod
    def scratch(cls, folder, origin=ROOT):
        """A fresh course in `folder` with the source and configuration of `origin`."""
        folder = Path(folder)
        shutil.copytree(Path(origin) / "source", folder / "source")
        shutil.copy(Path(origin) / "nbgrader_config.py", folder)
        return cls(folder)

    @property
    def exchange(self):
        return Path(self.config.Exchange.root)

    def path(self, step, student=None):
        """Folder of the assignment at one step: source, release, submitted, autograded, feedback."""
        parts = [step] if student is None else [step, student]
        return self.root.joinpath(*parts, self.assignment)

    def notebook(self, step, student=None):
        return self.path(step, student) / f"{NOTEBOOK}.ipynb"

    def api(self, **sections):
        """An NbGraderAPI on this course; `sections` add config, e.g. Exchange={...}."""
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        config = Config(self.config)
        for section, values in sections.items():
            config[section].update(values)
        return NbGraderAPI(CourseDirectory(config=config), config=config)

    def gradebook(self):
        return gradebook(self.config)

    def submitted_students(self):
        return submitted_students(self.config, self.assignment)


def check(result, step):
    """Raise CourseError with nbgrader's own message when an API call failed."""
    if not result["success"]:
        message = (result.get("error") or result.get("log") or "").strip().splitlines()
        raise CourseError(f"{step} failed: {message[-1] if message else 'no details'}")
    return result
