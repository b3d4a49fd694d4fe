"""Profile: where the time of one notebook goes when `grade` grades it in a worker.

    .venv/bin/python benchmarks/phases.py [--runs 5] [--cells] [--kernel-arg=--InteractiveShell.xmode=Context]

Makes a scratch course with simulated submissions of the first assignment (as
benchmarks/autograde.py does), starts one worker process as `grade` does (the course's
configuration, `worker_config`, one NbGraderAPI, the zygote) and grades a correct submission and
one with mistakes `--runs` times each after a warm-up, timing the engine's and nbgrader's own
functions from the outside (wrappers set in the worker, nothing in the engine). It prints the
median seconds per phase and per cell, then the execution floor: every code cell of the graded
correct notebook run in one warm IPython shell (no kernel, no nbgrader), with the Agg backend and
with the inline backend that grading uses, whose PNG rendering it times.
"""
import argparse
import functools
import importlib.util
import inspect
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from contextlib import redirect_stdout
from multiprocessing import get_context
from pathlib import Path

import nbformat

from transformer_course.course import setup_environment

PNG = "PNG rendering"
STUDENTS = ("sim-perfect", "sim-001")  # all right; a mix of right and wrong answers
_times = defaultdict(list)  # label: [seconds] of the current run, in the process that records
_phase = ["sanitize"]  # the conversion running: sanitize or autograde


def _record(label, seconds):
    _times[label].append(seconds)


def timed(owner, name, label):
    """Replace owner.name by a wrapper that records its duration under `label` (a string, or a function
    of the call's arguments that returns one)."""
    original = owner.__dict__.get(name, getattr(owner, name))
    function = original.__func__ if isinstance(original, (staticmethod, classmethod)) else original
    name_of = label if callable(label) else (lambda *a, **k: label)

    if inspect.iscoroutinefunction(function):
        @functools.wraps(function)
        async def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                _record(name_of(*args, **kwargs), time.perf_counter() - start)
    else:
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                _record(name_of(*args, **kwargs), time.perf_counter() - start)
    setattr(owner, name, type(original)(wrapper) if isinstance(original, (staticmethod, classmethod)) else wrapper)


def cell_name(cell):
    if cell.cell_type != "code":
        return "markdown cells"
    return "cell " + (cell.metadata.get("nbgrader", {}).get("grade_id") or cell.get("id") or "?")


def kind(cell):
    """What a code cell is for: setup, answer, test or demo (plots and examples)."""
    meta = cell.metadata.get("nbgrader", {})
    if meta.get("grade"):
        return "tests"
    if meta.get("solution"):
        return "answers"
    return "setup and helpers" if meta.get("locked") else "demos (the four plots, examples)"


# Phases of one notebook, in order: (label, depth) for the table. Labels are set by `instrument`.
PHASES = [
    ("autograde, in all (NbGraderAPI.autograde)", 0),
    ("init_assignment: gradebook rows, source files", 1),
    ("init_destination", 1),
    ("sanitize conversion", 1),
    ("sanitize: ClearOutput", 2), ("sanitize: RepairIds", 2), ("sanitize: OverwriteKernelspec", 2),
    ("sanitize: OverwriteCells", 2), ("sanitize: CheckCellMetadata", 2), ("sanitize: write the notebook", 2),
    ("autograde conversion", 1),
    ("SafeExecute", 2),
    ("sandbox check (bwrap probe, kernelspec, refusals)", 3),
    ("kernel fork (zygote: reset, fork)", 3),
    ("tmpfs fill (open, copy the notebook's folder in)", 3),
    ("kernel ready (client, wait_for_ready)", 3),
    ("kernel_info", 3),
    ("cells, in all", 3),
    ("output handling in the worker (SafeExecute.output)", 4),
    ("kernel shutdown (kill, zygote reset)", 3),
    ("copy back, empty the tmpfs", 3),
    ("disk note (intake records)", 3),
    ("autograde: IgnorePattern", 2), ("autograde: ClearMetadataPreprocessor", 2),
    ("autograde: LimitOutput", 2), ("autograde: SaveAutoGrades", 2),
    ("autograde: AssignLatePenalties", 2), ("autograde: CheckCellMetadata", 2),
    ("autograde: write the notebook", 2),
    ("set_permissions", 1),
]
COUNTED = [("gradebook sessions (Gradebook(), in all the above)", "gradebook open"),
           ("commits (Session.commit, in all the above)", "commit")]


def instrument():
    """Wrap the functions of one autograde (in the worker)."""
    from nbclient import NotebookClient
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.converters import Autograde
    from nbgrader.converters.base import BaseConverter
    from sqlalchemy.orm import Session

    from nbgrader_sandbox import execute, kernels
    from nbgrader_sandbox.config import autograde_preprocessors, sanitize_preprocessors

    timed(NbGraderAPI, "autograde", PHASES[0][0])
    timed(Autograde, "init_assignment", "init_assignment: gradebook rows, source files")
    timed(BaseConverter, "init_destination", "init_destination")
    timed(BaseConverter, "set_permissions", "set_permissions")
    timed(BaseConverter, "convert_single_notebook",
          lambda self, *a: "sanitize conversion" if self._sanitizing else "autograde conversion")
    timed(BaseConverter, "write_single_notebook", lambda *a: f"{_phase[0]}: write the notebook")
    sanitize, autograde = sanitize_preprocessors(), autograde_preprocessors()
    for p in dict.fromkeys(sanitize + autograde):
        if p is execute.SafeExecute:
            continue
        if p in sanitize and p in autograde:  # CheckCellMetadata: one wrapper, named by the conversion
            timed(p, "preprocess", lambda *a, name=p.__name__: f"{_phase[0]}: {name}")
        else:
            timed(p, "preprocess", f"{'sanitize' if p in sanitize else 'autograde'}: {p.__name__}")
    init = Autograde._init_preprocessors

    def init_preprocessors(self):
        _phase[0] = "sanitize" if self._sanitizing else "autograde"
        init(self)
    Autograde._init_preprocessors = init_preprocessors

    S = execute.SafeExecute
    timed(S, "preprocess", "SafeExecute")
    timed(S, "refused_entries", "sandbox check (bwrap probe, kernelspec, refusals)")
    timed(execute.Sandbox, "check", "sandbox check (bwrap probe, kernelspec, refusals)")
    timed(execute, "kernelspec_installed", "sandbox check (bwrap probe, kernelspec, refusals)")
    timed(kernels.ForkingProvisioner, "launch_kernel", "kernel fork (zygote: reset, fork)")
    timed(S, "_open_disk", "tmpfs fill (open, copy the notebook's folder in)")
    timed(NotebookClient, "start_new_kernel_client", "kernel ready (client, wait_for_ready)")
    timed(NotebookClient, "wait_for_reply", "kernel_info")
    timed(S, "preprocess_cell", lambda self, cell, res, index: cell_name(cell))
    timed(S, "output", "output handling in the worker (SafeExecute.output)")
    timed(NotebookClient, "_cleanup_kernel", "kernel shutdown (kill, zygote reset)")
    timed(S, "_release_disk", "copy back, empty the tmpfs")
    timed(S, "_record_disk", "disk note (intake records)")
    timed(Gradebook, "__init__", "gradebook open")
    timed(Session, "commit", "commit")


def _start(config):
    from nbgrader_sandbox import parallel

    instrument()
    parallel._start_worker(config)


def _profile(assignment, student):
    """In the worker: grade one student; {label: [seconds]} of that grading."""
    from nbgrader_sandbox import parallel

    _times.clear()
    problem = parallel._grade(assignment, student)
    if problem:
        raise RuntimeError(f"{student}: {problem}")
    return dict(_times)


def floor(path, runs, inline):
    """{label: [seconds per run]}: every code cell of the notebook at `path` run in one warm IPython
    shell, `runs` times after a warm-up; with the inline backend and its PNG rendering timed if
    `inline`, else Agg."""
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline" if inline else "Agg"
    from IPython.core import pylabtools
    from IPython.core.interactiveshell import InteractiveShell

    timed(pylabtools, "print_figure", PNG)
    shell = InteractiveShell.instance()
    import matplotlib.pyplot as plt
    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    totals = defaultdict(list)
    for run in range(runs + 1):
        shell.reset(new_session=False)
        _times.clear()
        start = time.perf_counter()
        with redirect_stdout(io.StringIO()):
            for cell in cells:
                t, rendered = time.perf_counter(), sum(_times[PNG])
                shell.run_cell(cell.source, store_history=False)
                _record(cell_name(cell), time.perf_counter() - t)
                _record(f"{PNG} {cell_name(cell)}", sum(_times[PNG]) - rendered)
        total = time.perf_counter() - start
        plt.close("all")
        if run:  # the first run warms up
            totals["floor"].append(total)
            for label, seconds in _times.items():
                totals[label].append(sum(seconds))
    return dict(totals)


def median(runs, label):
    values = [sum(r.get(label, [])) for r in runs]
    return statistics.median(values) if values else 0.0


def scratch_course(folder):
    spec = importlib.util.spec_from_file_location("autograde_benchmark", Path(__file__).with_name("autograde.py"))
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    return benchmark.scratch_course(folder, 3)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed gradings of each submission (median)")
    parser.add_argument("--cells", action="store_true", help="also print every code cell")
    parser.add_argument("--kernel-arg", action="append", default=[], metavar="ARG",
                        help="an argument for the kernels, e.g. --kernel-arg=--InteractiveShell.xmode=Plain (repeatable)")
    args = parser.parse_args()
    for name in ("NBGRADER_DB_URL", "NBGRADER_EXCHANGE"):
        os.environ.pop(name, None)
    setup_environment()
    from nbgrader_sandbox.parallel import worker_config

    from transformer_course.scoring import grade_rows

    scratch = Path(tempfile.mkdtemp(prefix="profile-bench-"))
    try:
        course = scratch_course(scratch / "course")
        config = worker_config(course.config, course.assignment)
        if args.kernel_arg:
            config.Execute.extra_arguments = [*config.Execute.get("extra_arguments", []), *args.kernel_arg]
        runs = {s: [] for s in STUDENTS}
        with ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=_start, initargs=(config,)) as pool:
            start = time.perf_counter()
            pool.submit(_profile, course.assignment, STUDENTS[0]).result()  # starts the zygote
            warmup = time.perf_counter() - start
            for _ in range(args.runs):
                for student in STUDENTS:
                    runs[student].append(pool.submit(_profile, course.assignment, student).result())
        with course.gradebook() as gb:
            scores = defaultdict(float)
            for student, _, _, score, *_ in grade_rows(gb):
                scores[student] += score or 0
        graded = course.notebook("autograded", STUDENTS[0])
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            agg = pool.submit(floor, graded, args.runs, False).result()
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            inline = pool.submit(floor, graded, args.runs, True).result()
        cells = {cell_name(c): kind(c) for c in nbformat.read(graded, as_version=4).cells if c.cell_type == "code"}
        report(runs, scores, agg, inline, cells, args, warmup, config.SafeExecute.get("sandbox", True))
    finally:
        shutil.rmtree(scratch)


def report(runs, scores, agg, inline, cells, args, warmup, sandbox):
    first = STUDENTS[0]
    print(f"One worker as `grade` runs it (sandbox {'on' if sandbox else 'off'}, kernels forked from a zygote); "
          f"median of {args.runs} gradings of each submission after a warm-up of {warmup:.1f} s (worker, "
          f"zygote); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.")
    heads = [f"{s} ({scores[s]:g} pts)" for s in STUDENTS]
    total = median(runs[first], PHASES[0][0])
    rows = []
    for label, depth in PHASES:
        if label == "cells, in all":
            values = [median([{"c": [v for k, s in r.items() if k.startswith("cell ") for v in s]} for r in runs[st]],
                             "c") for st in STUDENTS]
        else:
            values = [median(runs[st], label) for st in STUDENTS]
        rows.append(("  " * depth + label, [*(f"{v:.3f}" for v in values), f"{100 * values[0] / total:.0f} %"]))
    for label, key in COUNTED:
        rows.append((label, [*(f"{median(runs[st], key):.3f} ({statistics.median(len(r.get(key, [])) for r in runs[st])})"
                               for st in STUDENTS), f"{100 * median(runs[first], key) / total:.0f} %"]))
    table(["phase (seconds)", *heads, f"% of {first}"], rows)

    print(f"\nCode cells by kind (seconds; floor: {first}'s graded notebook run in one warm IPython shell, no kernel, "
          "no nbgrader):")
    rows = []
    for group in dict.fromkeys(cells.values()):
        labels = [label for label, k in cells.items() if k == group]
        rows.append((group, len(labels), labels))
    rows.append(("in all", len(cells), list(cells)))
    table(["kind", "cells", *heads, "floor, Agg", "floor, inline", "of which PNG"],
          [(group, [str(n), *(f"{sum(median(runs[st], label) for label in labels):.3f}" for st in STUDENTS),
                    *(f"{sum(statistics.median(f.get(label, [0])) for label in labels):.3f}"
                      for f in (agg, inline, {k[len(PNG) + 1:]: v for k, v in inline.items() if k.startswith(PNG + " ")}))])
           for group, n, labels in rows])
    floor_agg = statistics.median(agg["floor"])
    print(f"  execution floor (Agg backend): {floor_agg:.3f} s; with the inline backend as in grading: "
          f"{statistics.median(inline['floor']):.3f} s, of which PNG rendering "
          f"{statistics.median(inline.get(PNG, [0])):.3f} s")
    print(f"  {first}: autograde {total:.3f} s = {total / floor_agg:.1f}x the floor")
    if args.cells:
        print()
        png = {k[len(PNG) + 1:]: v for k, v in inline.items() if k.startswith(PNG + " ")}
        table(["cell (seconds)", "kind", *heads, "floor, Agg", "floor, inline", "of which PNG"],
              [(label[5:], [kind, *(f"{median(runs[st], label):.3f}" for st in STUDENTS),
                            *(f"{statistics.median(f.get(label, [0])):.3f}" for f in (agg, inline, png))])
               for label, kind in cells.items()])


def table(head, rows):
    """Print (label, [values]) rows under head, aligned."""
    width = max(len(head[0]), *(len(label) for label, _ in rows)) + 2
    widths = [max(len(h), *(len(values[i]) for _, values in rows)) + 2 for i, h in enumerate(head[1:])]
    print(head[0].ljust(width) + "".join(h.rjust(w) for h, w in zip(head[1:], widths)))
    for label, values in rows:
        print(label.ljust(width) + "".join(v.rjust(w) for v, w in zip(values, widths)))


if __name__ == "__main__":
    sys.exit(main())
