"""Demo: the whole lifecycle on a simulated class, from an empty course to the class report."""
import datetime
import logging
import shutil

from ..course import CourseError, silent
from ..report import report
from ..simulation import classroom
from .collect import collect
from .export import export_all
from .feedback import feedback
from .grade import grade
from .release import release, set_due
from .roster import import_roster, write_roster

log = logging.getLogger(__name__)
GENERATED = ("gradebook.db", "exchange", "submitted", "intake", "autograded", "feedback", "students", "downloaded",
             "reports", "demo_roster.csv")


def reset(course):
    """Remove everything a previous run generated, keeping the folders' READMEs."""
    for name in GENERATED:
        path = course.root / name
        if path.is_file():
            path.unlink()
        elif path.is_dir():
            for child in path.iterdir():
                if child.name != "README.md":
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
    for csv in course.root.glob("grades*.csv"):
        csv.unlink()


def demo(course, size=30, jobs=None, bar=silent):
    """Roster, release, submit (one late, one missing), collect, grade, feedback, exports and report
    for `size` simulated students; each step is logged. Returns (the class report's summary,
    {student: reason not graded}, {output: path})."""
    if size < 3:
        raise CourseError("the demo needs at least 3 students")
    reset(course)
    answers = classroom.roster(course, size)
    roster = write_roster(course.root / "demo_roster.csv", classroom.class_list(answers))
    log.info("roster: %d students from %s", len(import_roster(course, roster, bar)), roster)
    log.info("release: %s", release(course))
    *on_time, late, missing = answers
    homes = course.root / "students"
    for student in bar(on_time, desc="students submit"):
        classroom.fetch_and_submit(course, student, answers[student], homes)
    due = set_due(course, datetime.datetime.now(datetime.timezone.utc))
    log.info("due date: %s UTC (set now, so %s submits late; %s never submits)", due, late, missing)
    classroom.fetch_and_submit(course, late, answers[late], homes)
    log.info("collect: %d submissions in %s", len(collect(course)), course.root / "submitted")
    with bar(total=len(course.submitted_students()), desc="grade") as grading:
        problems, _ = grade(course, jobs, lambda student, reason: grading.update())
    pages, released = feedback(course, bar=bar)
    outputs = export_all(course)
    text, files = report(course)
    paths = {"roster": roster, "student homes": homes, "graded notebooks": course.root / "autograded",
             "feedback": f"{len(pages)} pages in {course.root / 'feedback'}, {len(released)} released",
             **{p.name: p for p in outputs + files}}
    return text, problems, paths
