"""SafeExchangeCollect: nbgrader's exchange collect, copying data and never links (data.py).

Set with ``c.ExchangeFactory.collect = SafeExchangeCollect``. Each submission is first copied,
without its refused entries, into a checked temporary copy, which nbgrader's own copy (with its
ignore, include and size settings) then collects into submitted/. What it refused is logged and
kept in ``intake/<assignment>.collect.json`` for the intake's notes.
"""
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


class SafeExchangeCollect(ExchangeCollect):
    """ExchangeCollect that refuses links, devices and oversized files in a submission."""

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
