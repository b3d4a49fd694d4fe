"""Command line: `python -m transformer_course <step>` for each step of the instructor's workflow."""
import argparse
import datetime
import shutil
import sys

from tqdm import tqdm

from . import ASSIGNMENT, simulate
from .autograde import autograde
from .collect import collect
from .course import ROOT, Course, CourseError
from .export import export_all
from .feedback import feedback
from .intake import intake, summary
from .lms import LMS, zip_collect
from .release import generate, release, set_due
from .report import report
from .roster import import_roster, write_roster

GENERATED = ("gradebook.db", "exchange", "submitted", "autograded", "feedback", "students", "downloaded",
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


def grade(course, jobs=None):
    """Inspect, then autograde every readable submission on `jobs` processes.

    Returns ({student: reason not graded}, intake records). An unreadable submission's student is
    added to the gradebook, as nbgrader does for those it grades, so the exports list them."""
    records = intake(course)
    problems = {s: "; ".join(r["notes"]) for s, r in records.items() if not r["graded"]}
    with course.gradebook() as gradebook:
        for student in problems:
            gradebook.update_or_create_student(student)
    readable = [s for s in records if s not in problems]
    if readable:
        problems.update({s: p for s, p in autograde(course, readable, jobs=jobs).items() if p})
    return problems, records


def demo(course, size=30, jobs=None):
    """The whole lifecycle on a simulated class: roster, release, submit (one late, one missing),
    collect, autograde, feedback, exports and report. Returns the exit code."""
    if size < 3:
        raise CourseError("the demo needs at least 3 students")
    reset(course)
    answers = simulate.roster(course, size)
    roster = write_roster(course.root / "demo_roster.csv", simulate.class_list(answers))
    print(f"roster: {len(import_roster(course, roster))} students from {roster}")
    print(f"release: {release(course)}")
    *on_time, late, missing = answers
    homes = course.root / "students"
    for student in tqdm(on_time, desc="students submit", unit="student"):
        simulate.fetch_and_submit(course, student, answers[student], homes)
    due = set_due(course, datetime.datetime.now(datetime.timezone.utc))
    print(f"due date: {due} UTC (set now, so {late} submits late; {missing} never submits)")
    simulate.fetch_and_submit(course, late, answers[late], homes)
    print(f"collect: {len(collect(course))} submissions in {course.root / 'submitted'}")
    problems, _ = grade(course, jobs)
    pages, released = feedback(course)
    outputs = export_all(course)
    text, files = report(course)
    print("\n" + text + "".join(f"\nnot graded: {s}: {p}" for s, p in problems.items()))
    print("\noutputs:", f"{'roster':<24}{roster}", f"{'student homes':<24}{homes}",
          f"{'graded notebooks':<24}{course.root / 'autograded'}",
          f"{'feedback':<24}{len(pages)} pages in {course.root / 'feedback'}, {len(released)} released",
          *(f"{p.name:<24}{p}" for p in outputs + files), sep="\n  ")
    return 1 if problems else 0


def parser():
    parser = argparse.ArgumentParser(prog="python -m transformer_course", description=__doc__)
    parser.add_argument("--course", default=None, help="course folder (default: this repository)")
    parser.add_argument("--assignment", default=ASSIGNMENT, help=f"assignment (default: {ASSIGNMENT})")
    steps = parser.add_subparsers(dest="step", required=True)
    steps.add_parser("roster", help="import students from a CSV (id, first name, last name, email[, lms_id])") \
        .add_argument("csv")
    steps.add_parser("generate", help="write the student version into release/")
    steps.add_parser("release", help="generate and release the assignment to the exchange") \
        .add_argument("--due", help="due date, e.g. '2026-12-01 17:00:00 UTC'")
    steps.add_parser("collect", help="collect submissions from the exchange")
    zipped = steps.add_parser("zip-collect", help="collect submissions from a Canvas or Moodle zip download")
    zipped.add_argument("archive")
    zipped.add_argument("--lms", choices=sorted(LMS), default="canvas")
    grading = steps.add_parser("grade", help="autograde every collected submission, in parallel")
    steps.add_parser("feedback", help="generate feedback and release it through the exchange")
    steps.add_parser("export", help="write grades.csv, grades_by_exercise.csv and grades_canvas.csv") \
        .add_argument("--canvas-id", help="Canvas assignment id, for the column '<assignment> (<id>)'")
    steps.add_parser("report", help="write reports/class_report.png and .html and print a summary")
    run_demo = steps.add_parser("demo", help="run the whole lifecycle on a simulated class")
    run_demo.add_argument("--students", type=int, default=30)
    for command in (grading, run_demo):
        command.add_argument("--jobs", type=int, default=None, help="grading processes (default: cores)")
    return parser


def run(course, args):
    """Run one step; print what it did and return the exit code."""
    if args.step != "roster" and not course.path("source").is_dir():
        raise CourseError(f"unknown assignment {course.assignment}: no folder {course.path('source')}")
    if args.step == "demo":
        return demo(course, args.students, args.jobs)
    if args.step == "roster":
        print(f"roster: {len(import_roster(course, args.csv))} students in the gradebook")
    elif args.step == "generate":
        print(f"generate: {generate(course)}")
    elif args.step == "release":
        print(f"release: {release(course, args.due)}" + (f", due {args.due}" if args.due else ""))
    elif args.step == "collect":
        if not (course.exchange / course.config.CourseDirectory.course_id).is_dir():
            raise CourseError(f"no exchange for this course in {course.exchange}: release first")
        print(f"collect: {len(collect(course))} submissions in {course.root / 'submitted'}")
        for line in summary(intake(course)):
            print(line)
    elif args.step == "zip-collect":
        found = zip_collect(course, args.archive, args.lms)
        print(f"zip-collect: {len(set(found.matched.values()))} students from {len(found.matched)} files")
        if found.late:
            print(f"  marked late by {args.lms} (no timestamp, so no penalty): {', '.join(found.late)}")
        for name, why in sorted(found.unmatched.items()):
            print(f"  not collected: {name}: {why}")
        return 1 if found.unmatched else 0
    elif args.step == "grade":
        problems, records = grade(course, args.jobs)
        print(f"grade: {len(records) - len(problems)} graded, {len(problems)} not graded")
        for student in records:
            print(f"  {student}: {problems.get(student) or 'graded'}")
        flagged = summary({s: r for s, r in records.items() if r["graded"]})
        for line in ["flagged:", *flagged] if flagged else []:
            print(line)
        return 1 if problems else 0
    elif args.step == "feedback":
        pages, released = feedback(course)
        print(f"feedback: {len(pages)} pages in {course.root / 'feedback'}, {len(released)} released to the exchange")
    elif args.step == "export":
        if args.canvas_id:
            course.config.CanvasCsvExportPlugin.canvas_assignment_id = args.canvas_id
        print("export:", *export_all(course), sep="\n  ")
    elif args.step == "report":
        text, files = report(course)
        print(text)
        print("report:", *files, sep="\n  ")
    return 0


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return run(Course(args.course or ROOT, assignment=args.assignment), args)
    except CourseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
