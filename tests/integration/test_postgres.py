"""The gradebook on a real PostgreSQL server: the whole lifecycle (grading with --jobs) gives the
same gradebook, row for row, as on SQLite; a gradebook copied SQLite -> PostgreSQL -> SQLite keeps
every row; the instructor's `database` command starts, names and stops the course's server."""
import datetime
import os
import shutil
import tempfile

import pytest
from nbgrader.utils import parse_utc
from sqlalchemy import create_engine, select

from transformer_course import cli
from transformer_course.course import Course, CourseError
from transformer_course.lifecycle.collect import collect
from transformer_course.lifecycle.export import EXPORTS, export_all
from transformer_course.lifecycle.feedback import feedback
from transformer_course.lifecycle.grade import grade
from transformer_course.lifecycle.gradebook import TABLES, copy_gradebook, snapshot
from transformer_course.lifecycle.release import release, set_due
from transformer_course.lifecycle.roster import import_roster, write_roster
from transformer_course.simulation import classroom

pytestmark = pytest.mark.xdist_group("postgres")  # one worker, one server, the runs built once

STUDENTS = 5  # the last one submits late; one more on the roster never submits
# Columns that name a row of nbgrader's tables whose primary key is a random uuid: the surrogate
# ids (and the foreign keys holding them) differ between two runs, nothing else may.
NATURAL = {"assignment": ("name",), "notebook": ("assignment_id", "name"),
           "base_cell": ("notebook_id", "name", "type"), "source_cell": ("notebook_id", "name"),
           "submitted_assignment": ("assignment_id", "student_id"),
           "submitted_notebook": ("assignment_id", "notebook_id"),
           "grade": ("notebook_id", "cell_id"), "comment": ("notebook_id", "cell_id")}


def natural_rows(url):
    """{table: sorted rows} of a gradebook, each uuid replaced by the natural key of its row."""
    engine = create_engine(url)
    keys, tables = {}, {}
    try:
        with engine.connect() as connection:
            for table in TABLES:  # parents first, so every foreign key's row has its key already
                rows = []
                for row in connection.execute(select(table)).mappings():
                    row = dict(row)
                    for column in table.columns:
                        for foreign in column.foreign_keys:
                            row[column.name] = keys.get((foreign.column.table.name, row[column.name]),
                                                        row[column.name])
                    if table.name in NATURAL:
                        key = (table.name, *(row[c] for c in NATURAL[table.name]))
                        keys[table.name, row["id"]] = key
                        row["id"] = key
                    rows.append(tuple(sorted(row.items())))
                tables[table.name] = sorted(rows, key=repr)
    finally:
        engine.dispose()
    return tables


def lifecycle(course, answers, exchange_from=None):
    """Roster, release, submissions (made here, or the same files copied from `exchange_from`'s
    exchange), a due date between the last two submissions, collect, grade --jobs 2, feedback,
    export; then one manual score and comment as formgrader writes them."""
    students = list(answers)
    import_roster(course, write_roster(course.root / "roster.csv", classroom.class_list(students + ["sim-absent"])))
    release(course, duedate="2100-01-01 00:00:00 UTC")
    inbound = course.exchange / "transformer-math" / "inbound"
    if exchange_from is None:
        for student in students:
            classroom.fetch_and_submit(course, student, answers[student], course.root / "students")
    else:
        shutil.copytree(exchange_from / "transformer-math" / "inbound", inbound, dirs_exist_ok=True)
    times = sorted(parse_utc((folder / "timestamp.txt").read_text()) for folder in inbound.iterdir())
    set_due(course, times[-2] + (times[-1] - times[-2]) / 2)
    collect(course)
    problems, _ = grade(course, jobs=2)
    assert not problems
    feedback(course)
    export_all(course)
    with course.gradebook() as gradebook:
        notebook = gradebook.find_notebook("exercises", course.assignment)
        arguments = ("exercises", course.assignment, students[1])
        gradebook.find_grade(notebook.grade_cells[-1].name, *arguments).manual_score = 1.5
        gradebook.find_comment(notebook.solution_cells[0].name, *arguments).manual_comment = "Scale by sqrt(d_k)."
        gradebook.db.commit()
    return course


@pytest.fixture(scope="module")
def runs(tmp_path_factory, postgres):
    """The same class through the same lifecycle on SQLite, then on PostgreSQL."""
    sqlite = Course.scratch(tmp_path_factory.mktemp("sqlite"))
    answers = classroom.roster(sqlite, size=STUDENTS, seed=5)
    lifecycle(sqlite, answers)
    folder = tmp_path_factory.mktemp("postgres")
    Course.scratch(folder)
    with pytest.MonkeyPatch.context() as patch:  # as the instructor does: nbgrader_config.py reads it
        patch.setenv("NBGRADER_DB_URL", postgres.create_database("lifecycle"))
        on_postgres = lifecycle(Course(folder), answers, sqlite.exchange)
    return sqlite, on_postgres


def test_lifecycle_on_postgres_gives_the_sqlite_gradebook_row_for_row(runs):
    sqlite, on_postgres = runs
    assert on_postgres.config.CourseDirectory.db_url.startswith("postgresql+psycopg://")
    expected, got = natural_rows(sqlite.config.CourseDirectory.db_url), natural_rows(on_postgres.config.CourseDirectory.db_url)
    assert len(expected["grade"]) == STUDENTS * len(expected["grade_cells"]) and len(expected["student"]) == STUDENTS + 1
    assert sum(1 for row in expected["submitted_notebook"] if dict(row)["late_submission_penalty"]) == 1
    for table in expected:
        assert got[table] == expected[table], table


def test_exports_on_postgres_are_the_sqlite_exports(runs):
    sqlite, on_postgres = runs
    for name in EXPORTS:
        # nbgrader's grades.csv comes in the database's order; ours are sorted
        expected, got = ((c.root / name).read_text().splitlines() for c in runs)
        assert got == expected if name != "grades.csv" else sorted(got) == sorted(expected), name


def test_copy_sqlite_to_postgres_and_back_keeps_every_row(runs, postgres, tmp_path, monkeypatch):
    course = tmp_path / "course"  # a copy of the SQLite run's course, with a few more kinds of rows
    shutil.copytree(runs[0].root, course, ignore=shutil.ignore_patterns("grades*.csv", "students"))
    source = f"sqlite:///{course / 'gradebook.db'}"
    with Course(course).gradebook() as gradebook:
        gradebook.find_submission(runs[0].assignment, "sim-perfect").extension = datetime.timedelta(hours=5)
        gradebook.db.commit()
    rows = snapshot(create_engine(source))
    url = postgres.create_database("round_trip")
    copied = copy_gradebook(source, url)
    back = tmp_path / "back.db"
    assert copy_gradebook(url, str(back)) == copied == {name: len(r) for name, r in rows.items()}
    assert all(copied[t] for t in ("student", "assignment", "notebook", "submitted_assignment", "submitted_notebook",
                                   "base_cell", "source_cell", "grade", "comment", "grade_cells", "solution_cells",
                                   "alembic_version"))
    for name, database in (("postgres", url), ("sqlite", f"sqlite:///{back}")):
        assert snapshot(create_engine(database)) == rows, name
    grades = [dict(r) for r in natural_rows(url)["grade"]]
    assert [g["manual_score"] for g in grades if g["manual_score"] is not None] == [1.5]
    assert sum(1 for r in natural_rows(url)["submitted_assignment"] if dict(r)["extension"]) == 1
    with pytest.raises(CourseError, match="already holds a gradebook"):
        copy_gradebook(source, url)
    before = {path.name: path.read_text() for path in export_all(Course(course))}
    (course / "gradebook.db").unlink()
    monkeypatch.setenv("NBGRADER_DB_URL", f"sqlite:///{back}")
    assert {path.name: path.read_text() for path in export_all(Course(course))} == before


def test_instructor_starts_the_course_server_and_uses_it(tmp_path, capsys, monkeypatch):
    course = Course.scratch(tmp_path / "course")
    folder = tempfile.mkdtemp(prefix="pg-course-")  # reachable by the postgres user when root starts it
    os.chmod(folder, 0o755)
    database = ["--course", str(course.root), "--quiet", "database"]
    try:
        assert cli.main([*database, "start", "--folder", folder]) == 0
        url = capsys.readouterr().out.strip()
        assert url.startswith("postgresql+psycopg://transformer-math:") and "host=" in url
        monkeypatch.setenv("NBGRADER_DB_URL", url)
        assert cli.main(["--course", str(course.root), "--quiet", "generate"]) == 0
        assert cli.main([*database, "stop", "--folder", folder]) == 0
        assert cli.main([*database, "start", "--folder", folder]) == 0
        assert capsys.readouterr().out.strip().splitlines()[-1] == url  # the same URL after a restart
        assert cli.main([*database, "url", "--folder", folder]) == 0
        assert capsys.readouterr().out.strip() == url
        assert cli.main([*database, "copy", str(tmp_path / "copy.db")]) == 0
        assert "rows" in capsys.readouterr().out
        with Course(course.root, CourseDirectory={"db_url": f"sqlite:///{tmp_path / 'copy.db'}"}).gradebook() as gb:
            assert [a.name for a in gb.assignments] == [course.assignment]
    finally:
        cli.main([*database, "stop", "--folder", folder])
        shutil.rmtree(folder, ignore_errors=True)
