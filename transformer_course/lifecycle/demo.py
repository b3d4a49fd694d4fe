"""Demo: the whole lifecycle on a simulated class, from an empty course to the class report."""
import datetime
import logging
import shutil

from .. import BLOCKS
from ..course import Course, CourseError, silent
from ..report import report
from ..simulation import classroom
from .collect import collect
from .export import export_all
from .feedback import feedback
from .grade import grade, grade_by_hand
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
    """Roster, release, submit (one late, one missing), collect, grade, feedback and report for
    `size` simulated students; then the second assignment (everyone but the missing student submits
    on time) from release to report; then the exports of both. Each step is logged. Returns (the
    class reports' summaries, {student: reason not graded}, {output: path})."""
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
    problems, pages, (text, files) = assess(course, jobs, bar)

    blocks = Course(course.root, assignment=BLOCKS)
    log.info("second assignment: %s", release(blocks))
    for student, bodies in bar(list(classroom.roster(blocks, size).items())[:-1], desc="students submit"):
        classroom.fetch_and_submit(blocks, student, bodies, homes)
    more_problems, more_pages, (more_text, more_files) = assess(blocks, jobs, bar, by_hand={
        "sim-perfect": ("reflection_padding", 2, "Right: causality already hides the pads from real tokens.")})

    outputs = export_all(course)
    problems.update({f"{s} ({BLOCKS})": p for s, p in more_problems.items()})
    paths = {"roster": roster, "student homes": homes, "graded notebooks": course.root / "autograded",
             "feedback": f"{len(pages) + len(more_pages)} pages in {course.root / 'feedback'}",
             **{p.name: p for p in outputs + files + more_files}}
    return f"{course.assignment}: {text}\n\n{BLOCKS}: {more_text}", problems, paths


def assess(course, jobs, bar, by_hand=None):
    """Collect, grade, grade written answers `by_hand` ({student: (cell, score, comment)}, as an
    instructor does in formgrader), feedback and report of one assignment: (problems, feedback pages,
    (summary, files))."""
    log.info("collect: %d submissions of %s in %s", len(collect(course)), course.assignment,
             course.root / "submitted")
    with bar(total=len(course.submitted_students()), desc="grade") as grading:
        problems, _ = grade(course, jobs, lambda student, reason: grading.update())
    for student, (cell, score, comment) in (by_hand or {}).items():
        points = grade_by_hand(course, student, cell, score, comment)
        log.info("graded by hand: %s's %s, %g points", student, cell, points)
    pages, released = feedback(course, bar=bar)
    log.info("feedback: %d pages, %d released", len(pages), len(released))
    return problems, pages, report(course)
