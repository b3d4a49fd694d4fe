"""Benchmark: plain serial `nbgrader autograde` against `python -m transformer_course grade`.

    .venv/bin/python benchmarks/autograde.py --submissions 100

Makes N simulated submissions (mixed correct and wrong answers) in a scratch course, copies the
course twice, grades one copy with one `nbgrader autograde` invocation and the other with the
parallel command, checks that every per-cell score agrees, and prints seconds per submission for
both, their ratio, and the floor: executing the graded notebook with nbclient alone.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from traitlets.config import Config

from transformer_course.course import ROOT, Course, setup_environment
from transformer_course.lifecycle.release import generate
from transformer_course.scoring import grade_rows
from transformer_course.simulation import classroom

BIN = Path(sys.executable).parent


def scratch_course(folder, submissions):
    """A generated copy of the course with `submissions` answered notebooks in submitted/."""
    course = Course.scratch(folder)
    generate(course)
    release = nbformat.read(course.notebook("release"), as_version=4)
    for student, bodies in classroom.roster(course, submissions).items():
        course.path("submitted", student).mkdir(parents=True)
        nb = classroom.answer(nbformat.reads(nbformat.writes(release), as_version=4), bodies)
        nbformat.write(nb, course.notebook("submitted", student))
    return course


def rows_of(course):
    with course.gradebook() as gradebook:
        return grade_rows(gradebook)


def timed(command, cwd, log):
    """Run `command`, its output into `log`; return the seconds it took."""
    start = time.perf_counter()
    with open(log, "w") as out:
        subprocess.run(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, check=False)
    return time.perf_counter() - start


def floor(course, students):
    """Seconds to execute each student's graded notebook with nbclient alone, one after another."""
    start = time.perf_counter()
    for student in students:
        path = course.notebook("autograded", student)
        nb = nbformat.read(path, as_version=4)
        with tempfile.TemporaryDirectory() as sockets:  # ipc, as grading uses
            config = Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(sockets, "kernel")}})
            NotebookClient(nb, timeout=30, kernel_name="python3", allow_errors=True, config=config,
                           resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--floor", type=int, default=None,
                        help="how many graded notebooks the nbclient floor executes (default: all)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    for name in ("NBGRADER_DB_URL", "NBGRADER_EXCHANGE"):  # each copy uses its own gradebook
        os.environ.pop(name, None)
    setup_environment()

    scratch = Path(tempfile.mkdtemp(prefix="autograde-bench-"))
    try:
        base = scratch_course(scratch / "base", args.submissions)
        serial, parallel = (Course(shutil.copytree(base.root, scratch / name))
                            for name in ("serial", "parallel"))
        n = args.submissions
        t_serial = timed([BIN / "nbgrader", "autograde", base.assignment], serial.root,
                         scratch / "serial.log")
        t_parallel = timed([sys.executable, "-m", "transformer_course", "--course", parallel.root,
                            "grade", "--jobs", str(args.jobs)], ROOT, scratch / "parallel.log")
        rows, expected = rows_of(parallel), rows_of(serial)
        graded = {r[0] for r in expected if r[3] is not None}
        sample = sorted(graded)[:args.floor]
        t_floor = floor(serial, sample)

        print(f"{n} submissions, {os.cpu_count()} cores, --jobs {args.jobs}")
        print(f"  plain serial nbgrader autograde: {t_serial / n:6.2f} s/submission ({t_serial:.0f} s)")
        print(f"  transformer_course grade:        {t_parallel / n:6.2f} s/submission ({t_parallel:.0f} s)")
        print(f"  nbclient execution only (floor): {t_floor / len(sample):6.2f} s/submission "
              f"(serial, {len(sample)} notebooks)")
        print(f"  speed-up over serial nbgrader:   {t_serial / t_parallel:6.2f}x")
        same = rows == expected and len(graded) == n
        print(f"  gradebooks: {len(rows)} grade rows, {len(graded)}/{n} students graded, "
              f"per-cell scores {'identical' if same else 'DIFFER'}")
        return 0 if same else 1
    finally:
        if args.keep:
            print(f"scratch folder: {scratch}")
        else:
            shutil.rmtree(scratch)


if __name__ == "__main__":
    sys.exit(main())
