"""Backup: consistent snapshots of a course in `backups/<UTC time>/`, a course brought back from one,
and a damaged SQLite gradebook found before a step trusts it.

A snapshot holds the gradebook (`gradebook.db`, copied with SQLite's online backup API, or
`gradebook.dump`, a `pg_dump` archive of a PostgreSQL gradebook), copies of `submitted/`,
`autograded/` and `intake/`, and `manifest.json` (time, database, counts). The gradebook's copy is
consistent while other processes write to it (grading, formgrader): SQLite copies the whole file
under one read lock, pg_dump reads the snapshot of the transaction that counted the rows. A
snapshot is written under a hidden name and renamed when complete.
"""
import datetime
import json
import logging
import os
import shutil
import sqlite3
import stat
import subprocess
from contextlib import closing
from pathlib import Path

from nbgrader_sandbox.coursedir import STAGING
from sqlalchemy.engine import URL, make_url
from traitlets import Integer, TraitError, validate
from traitlets.config import LoggingConfigurable

from ..course import ROOT, CourseError
from .database import postgres_bin

log = logging.getLogger(__name__)
FOLDERS = ("submitted", "autograded", STAGING)
MANIFEST = "manifest.json"
SQLITE, DUMP = "gradebook.db", "gradebook.dump"
DAMAGE = {11, 26}  # SQLite's primary result codes SQLITE_CORRUPT and SQLITE_NOTADB
COUNTS = {"students": "student", "assignments": "assignment", "submissions": "submitted_assignment"}


class Backups(LoggingConfigurable):
    """The snapshots of a course, in its `backups/` folder."""

    keep = Integer(5, help="snapshots kept: after each backup only the newest `keep` stay "
                           "(COURSE_BACKUPS in nbgrader_config.py)").tag(config=True)

    @validate("keep")
    def _at_least_one(self, proposal):
        if proposal["value"] < 1:
            raise TraitError(f"Backups.keep must be at least 1, not {proposal['value']}")
        return proposal["value"]


def folder(course):
    return course.root / "backups"


def snapshots(course):
    """The course's complete snapshots, oldest first."""
    found = folder(course).glob(f"[!.]*/{MANIFEST}")
    return sorted(path.parent for path in found)


def kind(url):
    """'sqlite' or 'postgresql': the databases a snapshot can hold."""
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql") or backend == "sqlite" and not sqlite_path(url):
        raise CourseError(f"backups hold SQLite files and PostgreSQL databases, not {make_url(url)!r} "
                          "(grade and release: --no-backup)")
    return backend


def sqlite_path(url):
    """The file of a SQLite gradebook (None for SQLite in memory)."""
    database = make_url(url).database
    return Path(database).resolve() if database and database != ":memory:" else None


def libpq(url):
    """A PostgreSQL URL as a libpq URI without the password, and the environment that gives it."""
    url = make_url(url)
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    bare = URL.create("postgresql", url.username, None, url.host, url.port, url.database, url.query)
    return bare.render_as_string(hide_password=False), env


def _postgres(url, **kwargs):
    import psycopg

    conninfo, _ = libpq(url)
    try:
        return psycopg.connect(conninfo, password=make_url(url).password, **kwargs)
    except psycopg.OperationalError as error:
        raise CourseError(f"cannot connect to the gradebook: {str(error).strip().splitlines()[0]}") from None


def has_gradebook(url):
    """Whether the database holds a gradebook (nbgrader's tables)."""
    if kind(url) == "sqlite":
        return sqlite_path(url).exists() and sqlite_path(url).stat().st_size > 0
    with _postgres(url, autocommit=True) as connection:
        return connection.execute("SELECT to_regclass('student') IS NOT NULL").fetchone()[0]


def damage(path):
    """Why the SQLite file at `path` is not a sound gradebook (`PRAGMA quick_check`), or None. An
    empty file is damage too: nbgrader writes its tables as it creates the file."""
    if path.stat().st_size == 0:
        return "the file is empty"
    try:
        with closing(sqlite3.connect(path, timeout=60)) as connection:
            rows = connection.execute("PRAGMA quick_check").fetchall()
    except sqlite3.Error as error:
        if error.sqlite_errorcode & 0xFF in DAMAGE:
            return str(error)
        raise CourseError(f"cannot read the gradebook {path}: {error}") from None
    if rows != [("ok",)]:
        return next((line for line in rows[0][0].splitlines() if not line.startswith("***")), rows[0][0])
    return None


def _shown(course, path):
    """A path as the user types it: relative to the course when inside it."""
    return path.relative_to(course.root) if path.is_relative_to(course.root) else path


def check_gradebook(course):
    """CourseError, naming the last snapshot to restore, when the course's SQLite gradebook is damaged."""
    url = course.config.CourseDirectory.db_url
    if make_url(url).get_backend_name() != "sqlite" or not sqlite_path(url) or not sqlite_path(url).exists():
        return
    problem = damage(sqlite_path(url))
    if problem:
        last = snapshots(course)[-1:]
        where = "" if course.root == ROOT else f" --course {course.root}"
        hint = (f"restore the last backup: python -m transformer_course{where} restore {_shown(course, last[0])}"
                if last else f"there is no backup to restore in {folder(course)}")
        raise CourseError(f"the gradebook {_shown(course, sqlite_path(url))} is damaged ({problem}); {hint}")


def _counts(connection):
    return {name: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for name, table in COUNTS.items()}


def _copy_sqlite(path, target):
    """Copy the SQLite gradebook with the online backup API; {count: rows} of the copy."""
    try:
        with closing(sqlite3.connect(path, timeout=60)) as source, closing(sqlite3.connect(target)) as copy:
            source.backup(copy)
            problem = damage(target)
            if problem:
                raise CourseError(f"the gradebook {path} is damaged ({problem}): no backup taken")
            return _counts(copy)
    except sqlite3.DatabaseError as error:
        raise CourseError(f"cannot back up the gradebook {path}: {error}") from None


def _dump_postgres(url, target):
    """`pg_dump` the PostgreSQL gradebook as of the transaction that counts its rows; {count: rows}."""
    conninfo, env = libpq(url)
    with _postgres(url, autocommit=True) as connection:
        connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        exported = connection.execute("SELECT pg_export_snapshot()").fetchone()[0]
        counts = _counts(connection)
        result = subprocess.run([postgres_bin("pg_dump"), "--format=custom", f"--snapshot={exported}",
                                 f"--file={target}", f"--dbname={conninfo}"], env=env, capture_output=True, text=True)
        connection.execute("COMMIT")
    if result.returncode:
        raise CourseError(f"pg_dump failed: {(result.stderr.strip().splitlines() or ['?'])[-1]}")
    return counts


def _files(path):
    return sum(1 for p in path.rglob("*") if p.is_file() and not p.is_symlink()) if path.is_dir() else 0


def _copy_file(source, target):
    """Copy a regular file that `target` is not yet (pipes and devices never)."""
    if stat.S_ISREG(os.lstat(source).st_mode) and not os.path.lexists(target):
        shutil.copy2(source, target)


def _links(folder, names):
    """Links are never copied: the intake refuses them, and they may point anywhere."""
    return [name for name in names if os.path.islink(os.path.join(folder, name))]


def _copy_folder(source, target):
    """Copy into `target` the files of `source` that it lacks; a file removed while it is copied (a
    student being regraded) is left out. Returns the number of files in `target`."""
    if source.is_dir():
        try:
            shutil.copytree(source, target, ignore=_links, dirs_exist_ok=True, copy_function=_copy_file)
        except shutil.Error as error:
            failed = [(path, why) for path, _, why in error.args[0] if os.path.lexists(path)]
            if failed:
                raise CourseError(f"cannot copy {failed[0][0]}: {failed[0][1]}") from None
    return _files(target)


def backup(course):
    """Snapshot the course into `backups/<UTC time>/` and keep only the newest `Backups.keep`.
    Returns the snapshot's folder, or None when the course has no gradebook yet."""
    url = course.config.CourseDirectory.db_url
    database = kind(url)
    if not has_gradebook(url):
        return None
    now = datetime.datetime.now(datetime.timezone.utc)
    name = now.strftime("%Y-%m-%dT%H%M%S.%fZ")
    partial = folder(course) / f".{name}"
    partial.mkdir(parents=True)
    try:
        if database == "sqlite":
            counts = _copy_sqlite(sqlite_path(url), partial / SQLITE)
        else:
            counts = _dump_postgres(url, partial / DUMP)
        files = {where: _copy_folder(course.root / where, partial / where) for where in FOLDERS}
        about = {"time": now.isoformat(), "database": database, "gradebook": SQLITE if database == "sqlite" else DUMP,
                 **counts, "files": files}
        (partial / MANIFEST).write_text(json.dumps(about, indent=1) + "\n")
        snapshot = partial.rename(folder(course) / name)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    for old in snapshots(course)[:-Backups(config=course.config).keep]:
        shutil.rmtree(old)
    log.debug("backup: %s", snapshot)
    return snapshot


def manifest(snapshot):
    path = Path(snapshot) / MANIFEST
    if not path.is_file():
        raise CourseError(f"{snapshot} is not a snapshot: no {MANIFEST}")
    return json.loads(path.read_text())


def find_snapshot(course, text):
    """A snapshot named by the user: a path, or one relative to the course (e.g. `backups/<time>`)."""
    for path in (Path(text), course.root / text, folder(course) / text):
        if (path / MANIFEST).is_file():
            return path.resolve()
    raise CourseError(f"no snapshot {text} (none in {folder(course)} by that name)")


def _restore_sqlite(source, path):
    """Put the snapshot's gradebook at `path`; the file there before (and its journal) is kept
    beside it, renamed `*.before-restore`."""
    problem = damage(source) if source.is_file() else "missing"
    if problem:
        raise CourseError(f"the snapshot's gradebook {source} is damaged ({problem})")
    path.parent.mkdir(parents=True, exist_ok=True)
    incoming = path.with_name(path.name + ".restoring")
    with closing(sqlite3.connect(source)) as snapshot, closing(sqlite3.connect(incoming)) as copy:
        snapshot.backup(copy)
    for suffix in ("", "-journal", "-wal", "-shm"):  # a journal left beside would be replayed into the copy
        old = path.with_name(path.name + suffix)
        if old.exists():
            os.replace(old, old.with_name(old.name + ".before-restore"))
    os.replace(incoming, path)


def _restore_postgres(source, url):
    """pg_restore the snapshot's dump into the course's database, which must hold no gradebook."""
    if has_gradebook(url):
        raise CourseError(f"{make_url(url)!r} already holds a gradebook: restore into an empty database "
                          "(NBGRADER_DB_URL; `database start` makes one)")
    conninfo, env = libpq(url)
    result = subprocess.run([postgres_bin("pg_restore"), "--no-owner", "--no-acl", "--single-transaction",
                             "--exit-on-error", f"--dbname={conninfo}", str(source)],
                            env=env, capture_output=True, text=True)
    if result.returncode:
        raise CourseError(f"pg_restore failed: {(result.stderr.strip().splitlines() or ['?'])[-1]}")


def restore(course, snapshot):
    """Bring the course back to a snapshot: its gradebook replaced by the snapshot's (SQLite; the
    one before kept as `*.before-restore`) or loaded into its empty PostgreSQL database, and every
    file of the snapshot's notebook folders that the course lacks copied back (those it has stay:
    they are as new or newer). Returns the snapshot's manifest, with `restored`: {folder: files}."""
    about = manifest(snapshot)
    url = course.config.CourseDirectory.db_url
    if kind(url) != about["database"]:
        raise CourseError(f"the snapshot holds a {about['database']} gradebook, the course uses {kind(url)}: "
                          f"restore into a course on {about['database']}, then `database copy`")
    if about["database"] == "sqlite":
        _restore_sqlite(Path(snapshot) / SQLITE, sqlite_path(url))
    else:
        _restore_postgres(Path(snapshot) / DUMP, url)
    restored = {}
    for where in FOLDERS:
        before = _files(course.root / where)
        restored[where] = _copy_folder(Path(snapshot) / where, course.root / where) - before
    log.debug("restore: %s from %s", course.root, snapshot)
    return {**about, "restored": restored}
