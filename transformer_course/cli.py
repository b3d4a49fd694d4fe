"""Command line: `python -m transformer_course <step>` for each step of the instructor's workflow.

Only the command line prints and draws progress bars; the steps log (`-v` shows more, `--quiet`
only errors and results).
"""
import argparse
import errno
import functools
import logging
import signal
import sys
from pathlib import Path

from nbgrader_sandbox import GradingError
from nbgrader_sandbox.intake import intake, summary
from tqdm import tqdm

from . import ASSIGNMENT, ASSIGNMENTS, hub
from .course import ROOT, Course, CourseError, setup_environment
from .lifecycle.backup import backup, check_gradebook, find_snapshot, manifest, restore, snapshots
from .lifecycle.collect import collect
from .lifecycle.database import LocalPostgres, course_database, saved_url
from .lifecycle.demo import demo
from .lifecycle.export import export_all
from .lifecycle.feedback import feedback
from .lifecycle.grade import grade
from .lifecycle.gradebook import copy_gradebook
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
    releasing = steps.add_parser("release", help="generate and release the assignment to the exchange")
    releasing.add_argument("--due", help="due date, e.g. '2026-12-01 17:00:00 UTC'")
    steps.add_parser("collect", help="collect submissions from the exchange")
    zipped = steps.add_parser("zip-collect", help="collect submissions from a Canvas or Moodle zip download")
    zipped.add_argument("archive")
    zipped.add_argument("--lms", choices=sorted(LMS), default="canvas")
    grading = steps.add_parser("grade", help="autograde every collected submission, in parallel")
    steps.add_parser("feedback", help="generate feedback and release it through the exchange")
    steps.add_parser("export", help="write grades.csv, grades_by_exercise.csv and grades_canvas.csv") \
        .add_argument("--canvas-id", help="Canvas assignment id, for the column '<assignment> (<id>)'")
    steps.add_parser("report", help="write reports/<assignment>.png and .html and print a summary")
    database = steps.add_parser("database", help="a PostgreSQL server for the gradebook; copy the gradebook") \
        .add_subparsers(dest="action", required=True)
    for action, text in [("start", "start the course's server (creating it first) and print its URL"),
                         ("url", "print the URL of the course's database"), ("stop", "stop the course's server")]:
        server = database.add_parser(action, help=text)
        server.add_argument("--folder", help="folder of the server (default: postgres/ in the course)")
        if action == "start":
            server.add_argument("--port", type=int, help="also listen on 127.0.0.1 at this port")
    copying = database.add_parser("copy", help="copy the gradebook into an empty database (SQLite <-> PostgreSQL)")
    copying.add_argument("target", help="SQLAlchemy URL, or the path of a SQLite file")
    copying.add_argument("--source", help="SQLAlchemy URL or SQLite file (default: the course's gradebook)")
    steps.add_parser("backup", help="snapshot the gradebook, submitted/, autograded/ and intake/ into backups/")
    steps.add_parser("backups", help="list the snapshots in backups/")
    restoring = steps.add_parser("restore", help="bring the course (or a new one) back from a snapshot")
    restoring.add_argument("snapshot", help="a snapshot's folder, e.g. backups/2026-12-01T170000.000000Z")
    restoring.add_argument("--into", help="course folder to restore into (made from this course's source and "
                                          "configuration if it is not one; default: this course)")
    hubs = steps.add_parser("hub", help="prepare and start the class's JupyterHub (as root)")
    hubs.add_argument("--roster", help="CSV of the students (their ids are their accounts)")
    hubs.add_argument("--ip", default="127.0.0.1", help="address to serve (default: 127.0.0.1)")
    hubs.add_argument("--port", type=int, default=8000, help="port to serve (default: 8000)")
    accounts = steps.add_parser("hub-accounts", help="make the hub's accounts match a roster (as root)")
    accounts.add_argument("roster")
    for command in (hubs, accounts):
        command.add_argument("--instructors", help="comma-separated instructor accounts (default: as before)")
        command.add_argument("--state", help=f"the hub's state folder (default: {hub.STATE})")
        command.add_argument("--exchange", help=f"the exchange (default: {hub.SRV / 'exchange'})")
    run_demo = steps.add_parser("demo", help="run the whole lifecycle on a simulated class")
    run_demo.add_argument("--students", type=int, default=30)
    for command in (grading, run_demo):
        command.add_argument("--jobs", type=int, default=None, help="grading processes (default: cores)")
    for command in (grading, releasing):
        command.add_argument("--no-backup", action="store_true", help="do not snapshot the course first")
    return parser


def run(course, args, bar):
    """Run one step; print what it did and return the exit code."""
    if args.step == "database":
        return database(course, args)
    if args.step in ("hub", "hub-accounts"):
        return run_hub(course, args)
    if args.step in ("backups", "restore"):
        return backups(course, args)
    if args.step != "demo":  # demo starts from an empty gradebook
        check_gradebook(course)
    if args.step == "backup":
        return backups(course, args)
    if args.step != "roster" and not course.path("source").is_dir():
        raise CourseError(f"unknown assignment {course.assignment}: no folder {course.path('source')}")
    if args.step in ("grade", "release") and not args.no_backup:
        snapshot = backup(course)
        if snapshot and not args.quiet:
            print(f"backup: {snapshot}")
    if args.step == "demo":
        text, problems, paths = demo(course, args.students, args.jobs, bar)
        print("\n" + text + "".join(f"\nnot graded: {s}: {p}" for s, p in problems.items()))
        width = max(map(len, paths), default=0) + 2
        print("\noutputs:", *(f"{name:<{width}}{path}" for name, path in paths.items()), sep="\n  ")
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


def database(course, args):
    """The `database` actions; with --quiet, `start` and `url` print the URL alone."""
    if args.action == "start":
        print(course_database(course, args.folder, args.port))
    elif args.action == "url":
        print(saved_url(course, args.folder))
    elif args.action == "stop":
        LocalPostgres(args.folder or course.root / "postgres").stop()
    elif args.action == "copy":
        copied = copy_gradebook(args.source or course.config.CourseDirectory.db_url, args.target)
        print(f"copy: {sum(copied.values())} rows", *(f"{n:>6} {t}" for t, n in copied.items()), sep="\n  ")
    return 0


def describe(snapshot):
    about = manifest(snapshot)
    return (f"{about['database']} gradebook of {about['students']} students, {about['assignments']} assignments, "
            f"{about['submissions']} submissions; " + ", ".join(f"{n} files in {f}/" for f, n in about["files"].items()))


def backups(course, args):
    """The `backup`, `backups` and `restore` steps."""
    if args.step == "backup":
        snapshot = backup(course)
        if snapshot is None:
            raise CourseError(f"no gradebook to back up in {course.root}")
        print(f"backup: {snapshot}\n  {describe(snapshot)}")
    elif args.step == "backups":
        for snapshot in snapshots(course):
            print(f"{snapshot}\n  {describe(snapshot)}")
    else:
        snapshot = find_snapshot(course, args.snapshot)
        target, into = course, Path(args.into or "")
        if args.into:
            target = Course(into) if (into / "nbgrader_config.py").exists() else Course.scratch(into, course.root)
        restored = restore(target, snapshot)
        print(f"restore: {target.root} from {snapshot}\n  {describe(snapshot)}",
              *(f"{n} files restored into {f}/" for f, n in restored["restored"].items()), sep="\n  ")
    return 0


def run_hub(course, args):
    """Prepare the hub (accounts, course folder, exchange); `hub` then serves until Ctrl-C."""
    settings = hub.settings_for(course, args.state, args.exchange)
    instructors = [n for n in args.instructors.split(",") if n] if args.instructors is not None else None
    added, removed = hub.prepare(settings, course.root, args.roster, instructors)
    print(f"hub: {len(settings.students)} students, {len(settings.instructors)} instructors, "
          f"course folder {settings.course}, exchange {settings.exchange}")
    for name in removed:
        print(f"  {name}: account expired, files kept")
    if args.step == "hub-accounts":
        if hub.update_running_hub(settings, added, removed):
            print("  the running hub is up to date")
        return 0
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    server = hub.start(settings, args.ip, args.port)
    try:
        print(f"JupyterHub: {server.url}  formgrader: {server.url}services/{settings.course_id}/formgrader",
              "Press Ctrl-C to stop it and every server of the class.", sep="\n", flush=True)
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        hub.stop(server)
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
    except OSError as error:  # a step's own writes (a backup, an export) on a full disk
        if error.errno != errno.ENOSPC:
            raise
        print(f"error: the disk of {args.course or ROOT} is full ({error.strerror}) during {args.step}: "
              f"free space and run {args.step} again", file=sys.stderr)
        return 2
