"""SafeExchangeCollect: nbgrader's exchange collect, copying data and never links (data.py).

Set with ``c.ExchangeFactory.collect = SafeExchangeCollect``. Each submission is first copied,
without its refused entries, into a checked temporary copy, which nbgrader's own copy (with its
ignore, include and size settings) then collects into submitted/. What it refused is logged and
kept in ``intake/<assignment>.collect.json`` for the intake's notes.

A submission that the student's `nbgrader submit` is still copying into the exchange is left for
the next collect (nbgrader would copy whatever files had arrived): the student's latest complete
one is collected instead. nbgrader's submit writes ``timestamp.txt`` and then
``submission_secret.txt`` after the files, so a submission is complete once its secret is there.
"""
import glob
import json
import os
import tempfile
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect

from .coursedir import STAGING
from .data import copy_data


def collect_file(root, assignment):
    return Path(root) / STAGING / f"{assignment}.collect.json"


def refused_at_collection(root, assignment):
    """{student: {path: why}} of what the last collection of the assignment refused."""
    path = collect_file(root, assignment)
    return json.loads(path.read_text()) if path.exists() else {}


def complete(folder):
    """Whether nbgrader's submit has finished copying the submission in `folder`."""
    try:
        with open(os.path.join(folder, "submission_secret.txt")) as f:
            return bool(f.read().strip()) and os.path.isfile(os.path.join(folder, "timestamp.txt"))
    except OSError:
        return False


class SafeExchangeCollect(ExchangeCollect):
    """ExchangeCollect that refuses links, devices and oversized files in a submission, and leaves
    a submission still being copied for the next collect."""

    def init_src(self):
        super().init_src()
        self.src_records = [found for found in map(self._complete_record, self.src_records) if found]

    def _complete_record(self, record):
        """`record`, or the student's latest earlier complete submission if `record` is still being
        copied; None if there is none."""
        if complete(os.path.join(self.inbound_path, record["filename"])):
            return record
        name = f"{glob.escape(record['username'])}+{self.coursedir.assignment_id}+*"
        for earlier in self._sort_by_timestamp(map(self._path_to_record, glob.glob(os.path.join(self.inbound_path, name)))):
            if earlier["timestamp"] < record["timestamp"] and \
                    complete(os.path.join(self.inbound_path, earlier["filename"])):
                self.log.warning("Submission %s is still being copied: collecting %s",
                                 record["filename"], earlier["filename"])
                return earlier
        self.log.warning("Submission %s is still being copied: not collected", record["filename"])
        return None

    def do_copy(self, src, dest, log=None):
        student, assignment = Path(dest).parent.name, Path(dest).name
        with tempfile.TemporaryDirectory(prefix="nbgrader-collect-") as folder:
            checked = os.path.join(folder, assignment)
            refused = copy_data(src, checked, 1000 * self.coursedir.max_file_size)
            for path, why in sorted(refused.items()):
                self.log.warning("Not collected from %s: %s (%s)", student, path, why)
            super().do_copy(checked, dest, log)
        records = refused_at_collection(self.coursedir.root, assignment)
        records.pop(student, None)
        if refused:
            records[student] = refused
        path = collect_file(self.coursedir.root, assignment)
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(records, indent=1, sort_keys=True))
