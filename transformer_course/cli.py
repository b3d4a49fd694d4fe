"""Command line: `python -m transformer_course <step>` for each step of the lifecycle."""
import argparse
import shutil
import sys

from tqdm import tqdm

from .autograde import autograde
from .collect import collect
from .course import Course, CourseError
from .export import export
from .feedback import feedback
from .release import generate, release
from .report import class_results, summary_table
from . import simulate

GENERATED = ("gradebook.db", "exchange", "submitted", "autograded", "feedback", "students")


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


def status_lines(status):
    """One line per student: graded, or failed and why."""
    return "\n".join(f"{student}: {reason or 'graded'}" for student, reason in status.items())


def demo(course, size, jobs=None):
    """The whole lifecycle on a simulated class, from release to grades.csv."""
    reset(course)
    print(f"release: {release(course)}")
    homes = course.root / "students"
    for student, bodies in tqdm(simulate.roster(course, size).items(), desc="students submit", unit="student"):
        simulate.fetch_and_submit(course, student, bodies, homes)
    print(f"collect: {len(collect(course))} submissions in {course.root / 'submitted'}")
    problems = {s: p for s, p in autograde(course, jobs=jobs).items() if p}
    pages = feedback(course)
    print(f"feedback: {len(pages)} HTML pages in {course.root / 'feedback'}")
    outputs = [export(course), export(course, "grades_by_exercise.csv",
                                      "transformer_course.exporters.ExerciseCsvExportPlugin")]
    print(summary_table(class_results(course), problems))
    print("\noutputs:", *outputs, course.root / "autograded", sep="\n  ")
    return 1 if problems else 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m transformer_course", description=__doc__)
    parser.add_argument("--course", default=None, help="course folder (default: this repository)")
    steps = parser.add_subparsers(dest="step", required=True)
    steps.add_parser("generate", help="write the student version into release/")
    steps.add_parser("release", help="generate and release the assignment to the exchange")
    steps.add_parser("collect", help="collect submissions from the exchange")
    grade = steps.add_parser("grade", help="autograde every collected submission, in parallel")
    steps.add_parser("feedback", help="generate and release feedback")
    steps.add_parser("export", help="write grades.csv and grades_by_exercise.csv")
    steps.add_parser("report", help="print the class's results")
    run_demo = steps.add_parser("demo", help="run the whole lifecycle on a simulated class")
    run_demo.add_argument("--students", type=int, default=6)
    for command in (grade, run_demo):
        command.add_argument("--jobs", type=int, default=None, help="grading processes (default: cores)")
    args = parser.parse_args(argv)
    try:
        course = Course(args.course) if args.course else Course()
        if args.step == "demo":
            return demo(course, args.students, args.jobs)
        if args.step == "grade":
            status = autograde(course, jobs=args.jobs)
            print(summary_table(class_results(course), {s: p for s, p in status.items() if p}))
            print(status_lines(status))
            return 1 if any(status.values()) else 0
        result = {"generate": generate, "release": release, "collect": collect, "feedback": feedback,
                  "export": export, "report": lambda c: summary_table(class_results(c))}[args.step](course)
        print(result)
    except CourseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
