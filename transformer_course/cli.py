"""Command line: `python -m transformer_course <step>` for each step of the instructor's workflow.

Only the command line prints and draws progress bars; the steps log (`-v` shows more, `--quiet`
only errors and results).
"""
import argparse
import functools
import logging
import sys

from nbgrader_sandbox import GradingError
from nbgrader_sandbox.intake import intake, summary
from tqdm import tqdm

from . import ASSIGNMENT, ASSIGNMENTS
from .course import ROOT, Course, CourseError, setup_environment
from .lifecycle.collect import collect
from .lifecycle.demo import demo
from .lifecycle.export import export_all
from .lifecycle.feedback import feedback
from .lifecycle.grade import grade
from .lifecycle.lms import LMS, zip_collect
from .lifecycle.release import generate, release
from .lifecycle.roster import import_roster
from .report import report


def parser():
    parser = argparse.ArgumentParser(prog="python -m transformer_course", description=__doc__.splitlines()[0])
    parser.add_argument("--course", default=None, help="course folder (default: this repository)")
    parser.add_argument("--assignment", default=ASSIGNMENT,
                        help=f"assignment: {', '.join(ASSIGNMENTS)} (default: {ASSIGNMENT})")
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument("-v", "--verbose", action="store_true", help="log what nbgrader and the grader do")
    loudness.add_argument("--quiet", action="store_true", help="no progress bars or step lines, only results")
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
    steps.add_parser("report", help="write reports/<assignment>.png and .html and print a summary")
    run_demo = steps.add_parser("demo", help="run the whole lifecycle on a simulated class")
    run_demo.add_argument("--students", type=int, default=30)
    for command in (grading, run_demo):
        command.add_argument("--jobs", type=int, default=None, help="grading processes (default: cores)")
    return parser


def run(course, args, bar):
    """Run one step; print what it did and return the exit code."""
    if args.step != "roster" and not course.path("source").is_dir():
        raise CourseError(f"unknown assignment {course.assignment}: no folder {course.path('source')}")
    if args.step == "demo":
        text, problems, paths = demo(course, args.students, args.jobs, bar)
        print("\n" + text + "".join(f"\nnot graded: {s}: {p}" for s, p in problems.items()))
        print("\noutputs:", *(f"{name:<24}{path}" for name, path in paths.items()), sep="\n  ")
        return 1 if problems else 0
    if args.step == "roster":
        print(f"roster: {len(import_roster(course, args.csv, bar))} students in the gradebook")
    elif args.step == "generate":
        print(f"generate: {generate(course)}")
    elif args.step == "release":
        print(f"release: {release(course, args.due)}" + (f", due {args.due}" if args.due else ""))
    elif args.step == "collect":
        if not (course.exchange / course.config.CourseDirectory.course_id).is_dir():
            raise CourseError(f"no exchange for this course in {course.exchange}: release first")
        print(f"collect: {len(collect(course))} submissions in {course.root / 'submitted'}")
        for line in summary(intake(course.config, course.assignment)):
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
        with bar(total=len(course.submitted_students()), desc="autograde") as grading:
            problems, records = grade(course, args.jobs, lambda student, reason: grading.update())
        print(f"grade: {len(records) - len(problems)} graded, {len(problems)} not graded")
        for student in records:
            print(f"  {student}: {problems.get(student) or 'graded'}")
        flagged = summary({s: r for s, r in records.items() if r["graded"]})
        for line in ["flagged:", *flagged] if flagged else []:
            print(line)
        return 1 if problems else 0
    elif args.step == "feedback":
        pages, released = feedback(course, bar=bar)
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


def logs(verbose, quiet):
    """Step lines of the course (INFO) on stdout unless quiet; with -v, what the grader and nbgrader
    log too (otherwise nbgrader's own log stays as quiet as nbgrader leaves it)."""
    course = logging.getLogger("transformer_course")
    course.handlers[:] = []
    if not quiet:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        course.addHandler(handler)
    course.setLevel(logging.DEBUG if verbose else logging.INFO)
    course.propagate = False
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


def main(argv=None):
    args = parser().parse_args(argv)
    logs(args.verbose, args.quiet)
    bar = functools.partial(tqdm, unit="student", disable=args.quiet)
    try:
        setup_environment()
        return run(Course(args.course or ROOT, assignment=args.assignment), args, bar)
    except (CourseError, GradingError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
