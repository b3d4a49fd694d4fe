"""The course's nbgrader plugins on their own, without a kernel."""
import pytest

from transformer_course.lifecycle.lms import LMS
from transformer_course.plugins import RosterCollectorPlugin


@pytest.mark.parametrize("name, collected", [
    ("exercises.ipynb", True), ("exercises (1).ipynb", True), ("Exercises-Copy2.ipynb", True),
    ("exercises_v2.ipynb", False), ("notes.ipynb", False),
])
def test_lms_collects_renamed_copies(name, collected):
    """A Moodle upload under a copy's name is collected as it is, for the intake to rename."""
    plugin = RosterCollectorPlugin(named_regexp=LMS["moodle"], lms_ids={"30006": "s-moodle"},
                                   notebooks=["exercises.ipynb"])
    info = plugin.collect(f"/x/extracted/moodle/Jane Doe_30006_assignsubmission_file_/{name}")
    assert bool(info) == collected and (info or {}).get("student_id", "s-moodle") == "s-moodle"
