"""The grading benchmark runs from a clone on a tiny class and prints every figure (none is checked:
no timed tests)."""
import subprocess
import sys

from transformer_course.course import ROOT

FIGURES = ("grade --jobs 2:", "stock serial nbgrader autograde:", "serial nbgrader, course config:",
           "floor, one warm process, Agg:", "floor, one warm process, inline:", "grade against stock nbgrader:",
           "grade against serial, same config:", "grade against the floor (Agg):", "memory (PSS)",
           "per-cell scores: 3/3 graded; the 3 also graded serially: identical")


def test_autograde_benchmark_prints_every_figure():
    result = subprocess.run([sys.executable, "benchmarks/autograde.py", "--submissions", "3", "--jobs", "2",
                             "--floor", "1"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    for figure in FIGURES:
        assert figure in result.stdout, result.stdout
