"""Roster: the class list, read from a CSV and imported into the gradebook."""
import csv
from pathlib import Path

from ..course import CourseError, silent

COLUMNS = ("id", "first_name", "last_name", "email")
OPTIONAL = ("lms_id",)


def _key(header):
    return header.strip().lower().replace(" ", "_").replace("-", "_")


def read_roster(path):
    """The rows of a roster CSV (id, first name, last name, email, optional lms_id), validated."""
    path = Path(path)
    if not path.is_file():
        raise CourseError(f"roster {path} not found")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [_key(h) for h in next(reader, [])]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise CourseError(f"roster {path.name}: missing column(s) {', '.join(missing)}")
        rows, seen = [], set()
        for line, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise CourseError(f"roster {path.name} line {line}: {len(values)} fields, expected {len(header)}")
            row = {k: v.strip() for k, v in zip(header, values) if k in COLUMNS + OPTIONAL}
            if not row["id"] or row["id"] in seen or "/" in row["id"]:
                raise CourseError(f"roster {path.name} line {line}: missing, duplicate or invalid id {row['id']!r}")
            seen.add(row["id"])
            rows.append(row)
    if not rows:
        raise CourseError(f"roster {path.name}: no students")
    return rows


def write_roster(path, rows):
    """Write roster rows (dicts with COLUMNS and optionally lms_id) as a CSV."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS + OPTIONAL, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return Path(path)


def import_roster(course, path, bar=silent):
    """Add or update every student of the roster in the gradebook; return their ids."""
    rows = read_roster(path)
    with course.gradebook() as gradebook:
        for row in bar(rows, desc="roster"):
            gradebook.update_or_create_student(
                row["id"], first_name=row["first_name"], last_name=row["last_name"],
                email=row["email"], lms_user_id=row.get("lms_id") or None)
    return [row["id"] for row in rows]


def lms_ids(course):
    """{LMS user id: roster id} for the students whose roster row had an lms_id."""
    with course.gradebook() as gradebook:
        return {s.lms_user_id: s.id for s in gradebook.students if s.lms_user_id}
