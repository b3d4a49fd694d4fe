"""Command line: `nbgrader-sandbox install` and `nbgrader-sandbox grade ASSIGNMENT` in a course folder.

    nbgrader-sandbox install [--prefix PREFIX]     # the sandboxed kernelspec, once per environment
    nbgrader-sandbox grade ps1 [--jobs N] [--student S ...] [--course DIR] [-v | --quiet]

`grade` reads the course's nbgrader_config.py, as nbgrader does, runs the intake and grades every
readable submission in parallel; it prints one line per student and exits 1 if any was not graded.
"""
import argparse
import logging
import sys
from pathlib import Path

from traitlets.config import Config, PyFileConfigLoader

from .coursedir import GradingError
from .parallel import grade
from .intake import summary
from .launcher import install_kernelspec


def course_config(folder):
    """The nbgrader config of the course in `folder` (its nbgrader_config.py, if any)."""
    folder = Path(folder).resolve()
    config = Config()
    if (folder / "nbgrader_config.py").exists():
        config = PyFileConfigLoader("nbgrader_config.py", path=str(folder)).load_config()
    if "root" not in config.CourseDirectory:
        config.CourseDirectory.root = str(folder)
    return config


def parser():
    parser = argparse.ArgumentParser(prog="nbgrader-sandbox", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    install = commands.add_parser("install", help="install the sandboxed kernelspec")
    install.add_argument("--prefix", default=sys.prefix, help="installation prefix (default: this Python's)")
    grading = commands.add_parser("grade", help="intake and parallel autograde of an assignment")
    grading.add_argument("assignment")
    grading.add_argument("--student", action="append", help="grade only this student (repeatable)")
    grading.add_argument("--jobs", type=int, default=None, help="grading processes (default: cores)")
    grading.add_argument("--course", default=".", help="course folder (default: the current one)")
    loudness = grading.add_mutually_exclusive_group()
    loudness.add_argument("-v", "--verbose", action="store_true", help="log what each step does")
    loudness.add_argument("--quiet", action="store_true", help="print only the students not graded")
    return parser


def main(argv=None):
    args = parser().parse_args(argv)
    if args.command == "install":
        print(install_kernelspec(args.prefix))
        return 0
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    done = []

    def progress(student, reason):
        done.append(student)
        if not args.quiet:
            print(f"[{len(done)}] {student}: {reason or 'graded'}", flush=True)

    try:
        problems, records = grade(course_config(args.course), args.assignment, args.student, args.jobs, progress)
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"grade: {len(records) - len(problems)} graded, {len(problems)} not graded")
    for student, reason in sorted(problems.items()):
        print(f"  {student}: {reason}")
    for line in [] if args.quiet else summary({s: r for s, r in records.items() if r["graded"]}):
        print(line)
    return 1 if problems else 0
