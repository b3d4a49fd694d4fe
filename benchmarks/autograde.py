"""Benchmark: `python -m transformer_course grade` against serial `nbgrader autograde` and the floor.

    .venv/bin/python benchmarks/autograde.py --submissions 100
    .venv/bin/python benchmarks/autograde.py --submissions 1000 --serial 20 --plot scale.png

Makes N simulated submissions (mixed correct and wrong answers) in a scratch course and grades
them with `grade --jobs J` (the sandbox on), sampling the memory of its processes. The first
`--serial` of them (default: all, at most 100) are also graded, each in a fresh copy, by one
plain `nbgrader autograde` with nbgrader's default configuration (stock: no sandbox, Jupyter's
inline figures) and one with the course's configuration; and `--floor` of them are executed cell
by cell in one warm IPython process (no kernel, no nbgrader), with the Agg backend and with the
inline one. Prints seconds per submission of each and the ratios, the seconds per submission of
`grade` in each block of 100, the peak memory, and whether every per-cell score of `grade` is
the one serial nbgrader with the course's configuration gave. Exit status 1 if a score differs.
"""
import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from multiprocessing import get_context
from pathlib import Path

import nbformat
import psutil

from transformer_course.course import ROOT, Course, setup_environment
from transformer_course.lifecycle.release import generate
from transformer_course.scoring import grade_rows
from transformer_course.simulation import classroom

BIN = Path(sys.executable).parent
STOCK_CONFIG = '''c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "transformer-math"
'''
BLOCK = 100


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


def copy_course(base, folder, students, config=None):
    """A copy of `base` with only the submissions of `students`, and `config` as its nbgrader_config.py."""
    course = Course(shutil.copytree(base.root, folder, ignore=shutil.ignore_patterns("submitted")))
    for student in students:
        shutil.copytree(base.path("submitted", student), course.path("submitted", student))
    if config is not None:
        (course.root / "nbgrader_config.py").write_text(config)
    return course


def rows_of(course, students=None):
    with course.gradebook() as gradebook:
        return [r for r in grade_rows(gradebook) if students is None or r[0] in students]


def autograde(course, log, env=None):
    """Seconds one plain `nbgrader autograde` of the whole class takes."""
    start = time.perf_counter()
    with open(log, "w") as out:
        subprocess.run([BIN / "nbgrader", "autograde", course.assignment], cwd=course.root, env=env,
                       stdout=out, stderr=subprocess.STDOUT, check=False)
    return time.perf_counter() - start


def grade(course, jobs, log):
    """(start time, seconds, memory samples) of `grade --jobs`: every 0.5 s, the proportional set
    size (PSS: shared pages split between their processes) of the command and all its descendants."""
    command = [sys.executable, "-m", "transformer_course", "--course", course.root, "grade", "--jobs", str(jobs),
               "--no-backup"]
    samples = []
    began, start = time.time(), time.perf_counter()
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        root = psutil.Process(process.pid)
        while process.poll() is None:
            samples.append((time.perf_counter() - start, *memory(root)))
            time.sleep(0.5)
    return began, time.perf_counter() - start, samples


def memory(root):
    """(total PSS, largest PSS, processes) of `root` and its descendants, in bytes."""
    sizes = []
    try:
        tree = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0, 0, 0
    for process in tree:
        try:
            sizes.append(process.memory_full_info().pss)
        except psutil.Error:
            pass
    return sum(sizes), max(sizes, default=0), len(sizes)


def finished(course, students):
    """Seconds since the epoch at which each student's autograded notebook was written, sorted."""
    paths = (course.notebook("autograded", s) for s in students)
    return sorted(p.stat().st_mtime for p in paths if p.exists())


def floor(paths, inline):
    """Seconds per notebook to run every code cell of each notebook in `paths`, in order, in one
    warm IPython shell (reset between notebooks), after one warm-up run of the first."""
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline" if inline else "Agg"
    from IPython.core.interactiveshell import InteractiveShell
    import matplotlib.pyplot as plt

    shell = InteractiveShell.instance(xmode="Plain")  # as the grading kernels
    seconds = []
    for path in [paths[0], *paths]:
        cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        shell.reset(new_session=False)
        os.chdir(path.parent)
        start = time.perf_counter()
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            for source in cells:
                shell.run_cell(source, store_history=False)
        seconds.append(time.perf_counter() - start)
        plt.close("all")
    return statistics.mean(seconds[1:])


def in_process(function, *args):
    """`function(*args)` in a fresh Python process."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def blocks(times, start):
    """Seconds per submission in each block of BLOCK finished notebooks (the first from `start`,
    so with the workers' start)."""
    edges = [start, *times[BLOCK - 1::BLOCK]]
    return [(b - a) / BLOCK for a, b in zip(edges, edges[1:])]


def plot(path, per_block, samples, jobs):
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    left.bar([f"{BLOCK * i + 1}-{BLOCK * (i + 1)}" for i in range(len(per_block))], per_block)
    left.set(xlabel="submissions", ylabel="seconds per submission", title=f"grade --jobs {jobs}, per block")
    left.tick_params(axis="x", labelrotation=45)
    right.plot([s[0] / 60 for s in samples], [s[1] / 2**20 for s in samples], label="all processes")
    right.plot([s[0] / 60 for s in samples], [s[2] / 2**20 for s in samples], label="largest process")
    right.set(xlabel="minutes", ylabel="memory (PSS, MiB)", title="memory of the grading processes", ylim=(0, None))
    right.legend()
    fig.savefig(path, dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--serial", type=int, default=None,
                        help="how many submissions serial nbgrader grades, stock and with the course's "
                             "configuration (default: all, at most 100; 0 skips both)")
    parser.add_argument("--floor", type=int, default=20, help="how many notebooks the floor executes")
    parser.add_argument("--plot", type=Path, help="write a figure of the blocks and the memory to this PNG")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    for name in ("NBGRADER_DB_URL", "NBGRADER_EXCHANGE"):  # each copy uses its own gradebook
        os.environ.pop(name, None)
    setup_environment()

    n, jobs = args.submissions, args.jobs
    scratch = Path(tempfile.mkdtemp(prefix="autograde-bench-"))
    try:
        base = scratch_course(scratch / "base", n)
        students = sorted(p.name for p in (base.root / "submitted").iterdir())
        parallel = copy_course(base, scratch / "parallel", students)
        began, t_grade, samples = grade(parallel, jobs, scratch / "grade.log")
        done = finished(parallel, students)
        print(f"{n} submissions, {os.cpu_count()} cores, grade --jobs {jobs}, sandbox "
              f"{'on' if parallel.config.SafeExecute.get('sandbox', True) else 'off'}")
        print(f"  grade --jobs {jobs}:                   {t_grade / n:6.3f} s/submission ({t_grade:.0f} s)")

        sample = students[:min(n, 100) if args.serial is None else args.serial]
        same = len(done) == n
        if sample:
            stock = copy_course(base, scratch / "stock", sample, STOCK_CONFIG)
            serial = copy_course(base, scratch / "serial", sample)
            env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # Jupyter's default backend
            t_stock = autograde(stock, scratch / "stock.log", env) / len(sample)
            t_serial = autograde(serial, scratch / "serial.log") / len(sample)
            expected = rows_of(serial)
            same = same and len(expected) > 0 and rows_of(parallel, set(sample)) == expected
            print(f"  stock serial nbgrader autograde:   {t_stock:6.3f} s/submission ({len(sample)} submissions)")
            print(f"  serial nbgrader, course config:    {t_serial:6.3f} s/submission ({len(sample)} submissions)")
        graded = [parallel.notebook("autograded", s) for s in students[:args.floor]]
        t_agg, t_inline = (in_process(floor, graded, inline) for inline in (False, True))
        print(f"  floor, one warm process, Agg:      {t_agg:6.3f} s/submission ({len(graded)} notebooks)")
        print(f"  floor, one warm process, inline:   {t_inline:6.3f} s/submission (figures as PNG, as graded)")
        if sample:
            print(f"  grade against stock nbgrader:      {t_stock * n / t_grade:6.2f}x")
            print(f"  grade against serial, same config: {t_serial * n / t_grade:6.2f}x")
        print(f"  grade against the floor (Agg):     {t_grade / n / t_agg:6.2f}x the floor's time "
              f"({t_grade / n / t_inline:.2f}x the inline floor's)")
        if len(done) >= BLOCK:
            per_block = blocks(done, began)
            print(f"  per block of {BLOCK}: " + " ".join(f"{b:.3f}" for b in per_block) + " s/submission")
        peak = max(samples, key=lambda s: s[1])
        print(f"  memory (PSS) of grade and all its processes: peak {peak[1] / 2**20:.0f} MiB "
              f"({peak[3]} processes), largest process {max(s[2] for s in samples) / 2**20:.0f} MiB")
        print(f"  per-cell scores: {len(done)}/{n} graded; "
              + (f"the {len(sample)} also graded serially: " if sample else "")
              + ("identical" if same else "DIFFER"))
        if args.plot and len(done) >= BLOCK:
            in_process(plot, args.plot, per_block, samples, jobs)
        return 0 if same else 1
    finally:
        if args.keep:
            print(f"scratch folder: {scratch}")
        else:
            shutil.rmtree(scratch)


if __name__ == "__main__":
    sys.exit(main())
