"""Backups: snapshots taken while `grade --jobs 2` runs are consistent; a snapshot restored into a
fresh folder (SQLite, or a new PostgreSQL database) exports the grades of the original; `grade` and
`release` snapshot first and the newest COURSE_BACKUPS stay; a damaged gradebook stops every step with
one line naming the last snapshot."""
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest

from transformer_course import cli
from transformer_course.course import Course
from transformer_course.lifecycle.backup import backup, check_gradebook, manifest, snapshots
from transformer_course.lifecycle.export import export_all
from transformer_course.lifecycle.gradebook import copy_gradebook
from transformer_course.lifecycle.release import generate

from conftest import submit_class

pytestmark = pytest.mark.xdist_group("backup")  # one worker grades the class once

STUDENTS = 4


def command(course, *step):
    return [sys.executable, "-m", "transformer_course", "--course", str(course.root), "--quiet", *step]


def graded_count(course):
    return len(list(course.root.glob(f"autograded/*/{course.assignment}/*.ipynb")))


def exports(course):
    """{file: sorted lines} of the three CSV exports (nbgrader's grades.csv comes in the database's order)."""
    return {path.name: sorted(path.read_text().splitlines()) for path in export_all(course)}


def files(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A class graded by `grade --jobs 2` while this process snapshots it again and again; returns
    the course and [(students graded when the snapshot began, snapshot checked)]."""
    course = Course(Course.scratch(tmp_path_factory.mktemp("graded")).root, Backups={"keep": 1000})
    generate(course)
    submit_class(course, STUDENTS, 17)
    run = subprocess.Popen(command(course, "grade", "--jobs", "2"), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    during = []
    while run.poll() is None:
        done = graded_count(course)
        snapshot = backup(course)
        with sqlite3.connect(snapshot / "gradebook.db") as connection:
            ok = connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            students = connection.execute("SELECT count(*) FROM submitted_assignment").fetchone()[0]
        during.append((done, ok and students == manifest(snapshot)["submissions"]))
        shutil.rmtree(snapshot)
        time.sleep(0.2)
    assert run.returncode == 0, run.stdout.read()
    return course, during


def test_snapshots_taken_while_grading_are_consistent(graded):
    course, during = graded
    assert any(0 < done < STUDENTS for done, _ in during), during  # some taken mid-class
    assert all(ok for _, ok in during), during


def test_restore_into_a_fresh_folder_exports_the_same_grades(graded, tmp_path, capsys):
    course, _ = graded
    assert cli.main(["--course", str(course.root), "backup"]) == 0
    out = capsys.readouterr().out
    snapshot = snapshots(course)[-1]
    assert str(snapshot) in out and f"{STUDENTS} submissions" in out
    about = manifest(snapshot)
    assert (about["database"], about["students"], about["files"]["autograded"]) == ("sqlite", STUDENTS, STUDENTS)
    fresh = tmp_path / "fresh"
    assert cli.main(["--course", str(course.root), "--quiet", "restore", str(snapshot), "--into", str(fresh)]) == 0
    for folder in ("submitted", "autograded", "intake"):
        assert files(fresh / folder) == files(course.root / folder), folder
    assert exports(Course(fresh)) == exports(course)
    with sqlite3.connect(fresh / "gradebook.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_postgres_snapshots_while_grading_restore_into_new_databases(graded, postgres, tmp_path, monkeypatch, capsys):
    course, _ = graded
    original = tmp_path / "original"  # the class on PostgreSQL, one student to regrade
    shutil.copytree(course.root, original, ignore=shutil.ignore_patterns("backups", "gradebook.db", "grades*.csv"))
    for student in sorted(os.listdir(original / "submitted"))[1:]:
        shutil.rmtree(original / "submitted" / student)
    url = postgres.create_database(f"backup_{tmp_path.name}")
    copy_gradebook(course.config.CourseDirectory.db_url, url)
    monkeypatch.setenv("NBGRADER_DB_URL", url)  # as the instructor does: nbgrader_config.py reads it
    on_postgres = Course(original, Backups={"keep": 1000})
    run = subprocess.Popen(command(on_postgres, "grade", "--jobs", "2", "--no-backup"), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    during = []
    while run.poll() is None:
        during.append(backup(on_postgres))
        time.sleep(0.5)
    assert run.returncode == 0, run.stdout.read()
    expected = exports(on_postgres)
    assert expected == exports(course)
    assert cli.main(["--course", str(original), "--quiet", "backup"]) == 0
    last = snapshots(on_postgres)[-1]
    about = manifest(last)
    assert (about["database"], about["gradebook"], about["submissions"]) == ("postgresql", "gradebook.dump", STUDENTS)
    for n, snapshot in enumerate([*during[-2:], last]):  # the last two taken while grading ran, then after
        monkeypatch.setenv("NBGRADER_DB_URL", postgres.create_database(f"restored{n}_{tmp_path.name}"))
        restore = ["--course", str(original), "--quiet", "restore", str(snapshot), "--into", str(tmp_path / f"fresh{n}")]
        assert cli.main(restore) == 0, snapshot
    assert exports(Course(tmp_path / f"fresh{n}")) == expected
    assert files(tmp_path / f"fresh{n}" / "autograded") == files(original / "autograded")
    capsys.readouterr()
    assert cli.main(restore) == 2  # never over a gradebook
    assert "already holds a gradebook" in capsys.readouterr().err


def test_grade_and_release_snapshot_first_and_keep_the_newest(graded, tmp_path, monkeypatch):
    course, _ = graded
    copy = tmp_path / "copy"
    shutil.copytree(course.root, copy, ignore=shutil.ignore_patterns("backups", "submitted", "grades*.csv"))
    student = sorted(os.listdir(course.root / "submitted"))[0]  # one to regrade, for speed
    shutil.copytree(course.root / "submitted" / student, copy / "submitted" / student)
    monkeypatch.setenv("COURSE_BACKUPS", "2")
    copy = Course(copy)
    taken = []
    for step in (["release"], ["release", "--no-backup"], ["grade"], ["release"]):
        assert cli.main(["--course", str(copy.root), "--quiet", *step]) == 0, step
        taken.append(len(list((copy.root / "backups").iterdir())))
    assert taken == [1, 1, 2, 2]
    assert manifest(snapshots(copy)[-1])["files"]["autograded"] == STUDENTS
    new = Course.scratch(tmp_path / "new")  # no gradebook yet: nothing to snapshot, silently
    assert cli.main(["--course", str(new.root), "--quiet", "release"]) == 0
    assert not (new.root / "backups").exists()


def truncate(path):
    os.truncate(path, path.stat().st_size // 2)


def overwrite_middle(path):
    """Random bytes over four pages in the middle of the file, page-aligned."""
    page = 4096
    with open(path, "r+b") as file:
        file.seek(path.stat().st_size // 2 // page * page)
        file.write(random.Random(3).randbytes(4 * page))


def garbage(path):
    path.write_text("these are not the grades you are looking for\n" * 100)


@pytest.mark.parametrize("damage, step", [(truncate, "export"), (overwrite_middle, "export"), (garbage, "export"),
                                          (truncate, "report"), (overwrite_middle, "grade"), (garbage, "grade")])
def test_a_damaged_gradebook_stops_the_step_naming_the_last_backup(graded, damage, step, tmp_path):
    course, _ = graded
    # the graded course, its last snapshot, and the gradebook damaged
    shutil.copytree(course.root, tmp_path / "copy", ignore=shutil.ignore_patterns("backups", "grades*.csv"))
    copy = Course(tmp_path / "copy")
    last = backup(copy)
    damage(copy.root / "gradebook.db")
    result = subprocess.run(command(copy, step), capture_output=True, text=True)
    assert result.returncode == 2, result
    assert result.stderr.startswith("error: the gradebook gradebook.db is damaged (")
    assert result.stderr.endswith(f"; restore the last backup: python -m transformer_course --course {copy.root} "
                                  f"restore backups/{last.name}\n")
    assert len(result.stderr.splitlines()) == 1 and not result.stdout
    assert not (copy.root / "grades.csv").exists() and snapshots(copy) == [last]
    assert cli.main(["--course", str(copy.root), "--quiet", "restore", f"backups/{last.name}"]) == 0
    assert (copy.root / "gradebook.db.before-restore").exists()
    check_gradebook(copy)  # sound again


def test_a_damaged_gradebook_without_backup_says_so(graded, tmp_path):
    course, _ = graded
    shutil.copytree(course.root, tmp_path / "copy", ignore=shutil.ignore_patterns("backups"))
    copy = Course(tmp_path / "copy")
    garbage(copy.root / "gradebook.db")
    result = subprocess.run(command(copy, "report"), capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (2, "error: the gradebook gradebook.db is damaged (file is not a "
                                                     f"database); there is no backup to restore in {copy.root}/backups\n")
