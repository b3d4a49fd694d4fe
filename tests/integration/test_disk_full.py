"""Grading when the disk fills: the course folder on a small tmpfs, a filler file leaving room for
fewer graded notebooks than the class has. `grade` stops with a one-line error naming the student
(exit code 2, no traceback), the gradebook stays sound (SQLite: `PRAGMA integrity_check`, no
journal), and once the filler is gone `grade` again gives an uninterrupted run's gradebook, row for
row; on SQLite (the gradebook in the full folder) and on PostgreSQL (autograded/ fills). A backup, or
the intake, on a full disk gives the same kind of error."""
import gc
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing, contextmanager

import pytest

from transformer_course.course import Course
from transformer_course.lifecycle.release import generate

from conftest import submit_class
from test_postgres import natural_rows

pytestmark = [pytest.mark.xdist_group("disk_full"),
              pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")]

STUDENTS = 4
SIZE = 64 * 2**20  # bytes of the tmpfs: the course and its class fit, but for the filler
ERROR = re.compile(r"error: the disk of \S+ is full \(No space left on device\) while (.+): "
                   r"free space and run grade again")


def grade_command(course, *options):
    return subprocess.run([sys.executable, "-m", "transformer_course", "--course", str(course.root), "--quiet",
                           "grade", "--jobs", "2", *options], capture_output=True, text=True, timeout=600)


def used(folder):
    """Bytes a folder takes on its disk."""
    return sum(p.lstat().st_blocks * 512 for p in folder.rglob("*"))


@contextmanager
def small_disk(folder):
    """A tmpfs of SIZE bytes mounted at `folder`, always unmounted."""
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0755", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        gc.collect()  # connections to the gradebook that nothing closed
        for _ in range(50):
            if subprocess.run(["umount", str(folder)]).returncode == 0:
                break
            time.sleep(0.2)
        else:
            subprocess.run(["umount", "--lazy", str(folder)], check=True)


def fill(folder, room):
    """A filler file that leaves `room` bytes free on the disk of `folder`; returns its path."""
    info = os.statvfs(folder)
    filler = folder / "filler"
    with open(filler, "wb") as handle:
        os.posix_fallocate(handle.fileno(), 0, info.f_bavail * info.f_frsize - room)
    return filler


def error_line(run):
    """The one line that a command stopped by a full disk prints (exit code 2, no traceback)."""
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    return lines[0]


def failure(run):
    """What a grading stopped by a full disk says failed (e.g. 'grading sim-001')."""
    line = error_line(run)
    match = ERROR.fullmatch(line)
    assert match, line
    return match[1]


def sound(course):
    """The SQLite gradebook passes its integrity check and has no journal left."""
    assert not (course.root / "gradebook.db-journal").exists()
    with closing(sqlite3.connect(course.root / "gradebook.db")) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """A class graded by one `grade` on a disk with room to spare."""
    course = Course.scratch(tmp_path_factory.mktemp("uninterrupted"))
    generate(course)
    submit_class(course, STUDENTS, 17)
    run = grade_command(course, "--no-backup")
    assert run.returncode == 0, run.stdout + run.stderr
    return course


@pytest.fixture
def full_course(uninterrupted, tmp_path):
    """A new course with the uninterrupted class's submissions, on a tmpfs of its own."""
    with small_disk(tmp_path / "disk") as disk:
        course = Course.scratch(disk / "course")
        generate(course)
        shutil.copytree(uninterrupted.root / "submitted", course.root / "submitted")
        yield course


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_grade_on_a_full_disk_stops_cleanly_then_runs_again(uninterrupted, database, request, tmp_path, monkeypatch):
    if database == "postgres":  # as the instructor does: nbgrader_config.py reads it
        monkeypatch.setenv("NBGRADER_DB_URL", request.getfixturevalue("postgres").create_database(f"full_{tmp_path.name}"))
    course = request.getfixturevalue("full_course")
    student = max(used(folder) for folder in (uninterrupted.root / "autograded").iterdir())
    filler = fill(course.root, room=student * 3 // 2)  # the first graded notebooks fit, not the class
    run = grade_command(course, "--no-backup")
    assert failure(run).startswith("grading sim-")
    graded = list(course.root.glob(f"autograded/*/{course.assignment}/*.ipynb"))
    print(f"disk full after {len(graded)} of {STUDENTS} students ({database}): {run.stderr.strip()}")
    assert len(graded) < STUDENTS
    url = course.config.CourseDirectory.db_url
    if database == "sqlite":
        sound(course)
    filler.unlink()
    again = grade_command(course, "--no-backup")
    assert again.returncode == 0, again.stdout + again.stderr
    if database == "sqlite":
        sound(course)
    rows = natural_rows(url)
    assert len(rows["submitted_assignment"]) == STUDENTS
    assert rows == natural_rows(uninterrupted.config.CourseDirectory.db_url)


def test_backup_and_intake_on_a_full_disk_stop_cleanly(full_course):
    fill(full_course.root, room=0)
    before = (full_course.root / "gradebook.db").read_bytes()
    line = error_line(grade_command(full_course))  # grade takes a backup first
    assert line.startswith("error: cannot back up the gradebook") and line.endswith("database or disk is full"), line
    assert not list((full_course.root / "backups").glob("*")), "a partial snapshot was left"
    assert failure(grade_command(full_course, "--no-backup")) == "taking in the submissions"
    assert (full_course.root / "gradebook.db").read_bytes() == before
    sound(full_course)
