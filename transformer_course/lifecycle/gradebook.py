"""Gradebook: copy a course's gradebook from one database to another (SQLite ⇄ PostgreSQL), every
table of nbgrader's schema row for row, ids included, checked after the copy."""
import logging
from pathlib import Path

from nbgrader.api import Base
from sqlalchemy import Column, MetaData, String, Table, create_engine, delete, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ..course import CourseError

log = logging.getLogger(__name__)
# nbgrader's schema version, a table of its own outside nbgrader's models (nbgrader.api.Gradebook).
ALEMBIC = Table("alembic_version", MetaData(), Column("version_num", String(32), nullable=False))
TABLES = [*Base.metadata.sorted_tables, ALEMBIC]  # parents before children
BOOKKEEPING = {"course", "alembic_version"}  # rows that opening any gradebook writes


def database_url(text):
    """A SQLAlchemy URL as a string; a path (e.g. `gradebook.db`) means that SQLite file."""
    try:
        make_url(text)
        return text
    except ArgumentError:
        return f"sqlite:///{Path(text).resolve()}"


def snapshot(engine):
    """{table: sorted rows} of every table of the gradebook, read in one transaction."""
    with engine.connect() as connection, connection.begin():
        return {table.name: sorted(tuple(row) for row in connection.execute(select(table)))
                for table in TABLES}


def copy_gradebook(source, target):
    """Copy the gradebook at URL `source` into `target`, which has no gradebook or one with no rows
    but nbgrader's bookkeeping (schema version, course). Returns {table: rows copied}."""
    source_engine, target_engine = (create_engine(database_url(url)) for url in (source, target))
    try:
        missing = {t.name for t in TABLES} - set(inspect(source_engine).get_table_names())
        if missing:
            raise CourseError(f"{source_engine.url!r} is not a gradebook: no table {', '.join(sorted(missing))}")
        rows = snapshot(source_engine)
        with target_engine.begin() as connection:
            for table in TABLES:
                table.create(connection, checkfirst=True)
            used = {t.name: connection.scalar(select(func.count()).select_from(t)) for t in TABLES}
            full = {name: n for name, n in used.items() if n and name not in BOOKKEEPING}
            if full:
                raise CourseError(f"{target_engine.url!r} already holds a gradebook "
                                  f"({', '.join(f'{n} {name}' for name, n in full.items())}): give an empty database")
            for table in reversed(TABLES):
                connection.execute(delete(table))
            for table in TABLES:
                if rows[table.name]:
                    names = [c.name for c in table.columns]
                    connection.execute(table.insert(), [dict(zip(names, row)) for row in rows[table.name]])
        if snapshot(target_engine) != rows:
            raise CourseError(f"the copy in {target_engine.url!r} differs from {source_engine.url!r}")
    except SQLAlchemyError as error:
        raise CourseError(f"copy failed: {str(getattr(error, 'orig', None) or error).strip()}") from None
    finally:
        source_engine.dispose()
        target_engine.dispose()
    log.info("copied the gradebook: %s -> %s", source_engine.url, target_engine.url)
    return {name: len(table_rows) for name, table_rows in rows.items()}
