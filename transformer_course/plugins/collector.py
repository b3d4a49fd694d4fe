"""RosterCollectorPlugin: nbgrader's FileNameCollectorPlugin for LMS downloads, mapped to the roster.

It turns the LMS user id that `named_regexp` finds in a file name into the roster id, and keeps
every file it does not collect in `unmatched` with the reason, so `zip-collect` can report them
by name. A renamed copy of a notebook (`exercises (1).ipynb`) is collected as it is; the intake
grades it under the notebook's name.
"""
import os

from nbgrader.plugins import FileNameCollectorPlugin
from nbgrader_sandbox.intake import is_copy
from traitlets import Dict, List


class RosterCollectorPlugin(FileNameCollectorPlugin):
    """FileNameCollectorPlugin that turns LMS user ids into roster ids and records what it skips."""

    lms_ids = Dict(help="{LMS user id: roster student id}; roster ids are accepted as they are.").tag(config=True)
    notebooks = List(help="Notebook names of the assignment; other file names are skipped.").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.matched = {}
        self.unmatched = {}
        self.late = set()

    def collect(self, submitted_file):
        name = os.path.basename(submitted_file)
        if os.path.splitext(name)[1] not in self.valid_ext:
            self.unmatched[submitted_file] = "not a notebook"
            return None
        info = super().collect(submitted_file)
        if not info:
            self.unmatched[submitted_file] = "file name not in the LMS's format"
            return None
        lms_id = info["student_id"]
        student = self.lms_ids.get(lms_id, lms_id if lms_id in self.lms_ids.values() else None)
        if student is None:
            self.unmatched[submitted_file] = f"LMS id {lms_id} is not in the roster"
            return None
        stem = os.path.splitext(info["file_id"])[0]
        if self.notebooks and not any(is_copy(stem, os.path.splitext(n)[0]) for n in self.notebooks):
            self.unmatched[submitted_file] = f"{info['file_id']} is not a notebook of the assignment"
            return None
        self.matched[submitted_file] = student
        if info.get("late"):
            self.late.add(student)
        return dict(info, student_id=student)
