"""LMS download: a zip of submissions from Canvas or Moodle, collected with `nbgrader zip_collect`.

nbgrader matches `FileNameCollectorPlugin.named_regexp` against each extracted file's full path;
`RosterCollectorPlugin` (plugins/collector.py) then maps the LMS user id to a roster id and
reports every file it could not place.
"""
import shutil
import zipfile
from pathlib import Path
from typing import NamedTuple

from nbgrader.apps import ZipCollectApp
from nbgrader.utils import find_all_notebooks
from traitlets.config import Config

from ..course import CourseError
from ..plugins.collector import RosterCollectorPlugin
from .roster import lms_ids

# Canvas: {lastfirst}_{late_}{canvas user id}_{file id}_{original name}, a "-1" before the
# extension when the student uploaded the file twice.
CANVAS = (r".*/(?P<last_first>[^/_]+)_(?P<late>late_)?(?P<student_id>\d+)_(?P<canvas_file_id>\d+)_"
          r"(?P<file_id>[^/]+?)(?:-\d+)?\.ipynb$")
# Moodle: {Full Name}_{participant id}_assignsubmission_file_{original name}, either as one file
# or as a folder of that name (ending in "_") holding the original file.
MOODLE = (r".*/(?P<full_name>[^/]+?)_(?P<student_id>\d+)_assignsubmission_file_/?"
          r"(?P<file_id>[^/]+?)\.ipynb$")
LMS = {"canvas": CANVAS, "moodle": MOODLE}


class Collected(NamedTuple):
    matched: dict     # {file name in the zip: roster id}
    unmatched: dict   # {file name in the zip: why it was not collected}
    late: list        # roster ids the LMS marked late (Canvas's "late_"); no timestamp, so no penalty


def _check_archive(archive):
    archive = Path(archive)
    if not archive.is_file():
        raise CourseError(f"archive {archive} not found")
    if not zipfile.is_zipfile(archive):
        raise CourseError(f"{archive.name} is not a zip file")
    with zipfile.ZipFile(archive) as handle:
        if not [i for i in handle.infolist() if not i.is_dir()]:
            raise CourseError(f"{archive.name} is empty")
    return archive


def zip_collect(course, archive, lms="canvas"):
    """Collect the submissions in an LMS zip into submitted/; return what was and was not collected."""
    if lms not in LMS:
        raise CourseError(f"unknown LMS {lms!r}: use one of {', '.join(LMS)}")
    archive = _check_archive(archive)
    mapping = lms_ids(course)
    if not mapping:
        raise CourseError("no student in the gradebook has an lms_id: import a roster with an lms_id column")
    downloaded = course.root / "downloaded" / course.assignment
    shutil.rmtree(downloaded, ignore_errors=True)
    (downloaded / "archive").mkdir(parents=True)
    shutil.copy(archive, downloaded / "archive" / archive.name)

    config = Config(course.config)
    config.CourseDirectory.assignment_id = course.assignment
    config.ZipCollectApp.collector_plugin = RosterCollectorPlugin
    config.ZipCollectApp.force = True
    config.ExtractorPlugin.force = True
    config.FileNameCollectorPlugin.named_regexp = LMS[lms]
    config.RosterCollectorPlugin.lms_ids = mapping
    config.RosterCollectorPlugin.notebooks = find_all_notebooks(str(course.path("release")))
    app = ZipCollectApp(config=config)
    app.initialize([])
    try:
        app.start()
    except SystemExit:
        raise CourseError(f"zip_collect failed on {archive.name}: see the log above") from None
    plugin = app.collector_plugin_inst

    def name_in_zip(path):  # nbgrader extracts into extracted/<zip name>/
        return Path(path).relative_to(downloaded / "extracted" / archive.stem).as_posix()

    return Collected({name_in_zip(f): s for f, s in plugin.matched.items()},
                     {name_in_zip(f): why for f, why in plugin.unmatched.items()}, sorted(plugin.late))
