"""Grade the answer catalogue with real nbgrader and print what each answer scored.

`python -m transformer_course.simulation.mutants`: every wrong or hostile answer must lose points on its own
exercise (wrong ones there only), every correct one must keep full marks.
"""
import sys
import tempfile

from nbgrader_sandbox import autograde

from .. import ASSIGNMENTS
from ..course import Course, setup_environment
from ..lifecycle.release import generate
from ..scoring import exercise_scores
from .answers import HOSTILE, RIGHT, WRONG
from .classroom import place_submission, solutions


def verdict(kind, function, scores):
    """Whether an answer of this kind scored as it must."""
    lost = {e for e, (s, m) in scores.items() if s < m}
    return {"wrong": lost == {function}, "hostile": function in lost, "right": not lost}[kind]


def main():
    catalogue = [("wrong", a) for a in WRONG] + [("hostile", a) for a in HOSTILE] + \
                [("right", a) for a in RIGHT]
    setup_environment()
    rows, good = [], 0
    with tempfile.TemporaryDirectory() as folder:
        Course.scratch(folder)
        for assignment, functions in ASSIGNMENTS.items():
            course = Course(folder, assignment=assignment)
            generate(course)
            reference = solutions(course)
            students = {}
            for n, (kind, answer) in enumerate(catalogue):
                if answer.function in functions:
                    student = f"{kind}-{n:03d}"
                    place_submission(course, student, dict(reference, **{answer.function: answer.body}))
                    students[student] = (kind, answer)
            failed = {s: p for s, p in autograde(course.config, assignment, list(students)).items() if p}
            with course.gradebook() as gradebook:
                for student, (kind, answer) in students.items():
                    scores = {} if student in failed else exercise_scores(gradebook, assignment, student)
                    own = scores.get(answer.function, (0, 0))
                    others = sum(m - s for e, (s, m) in scores.items() if e != answer.function)
                    ok = student not in failed and verdict(kind, answer.function, scores)
                    good += ok
                    rows.append((kind, answer.function, answer.name,
                                 f"{own[0]:g}/{own[1]:g}", f"{others:g}", "ok" if ok else "MISSED"))
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    header = ("kind", "exercise", "answer", "own", "lost elsewhere", "verdict")
    for row in [header, *rows]:
        print("  ".join(c.ljust(max(w, len(h))) for c, w, h in zip(row, widths, header)))
    for kind in ("wrong", "hostile", "right"):
        total = sum(r[0] == kind for r in rows)
        print(f"{kind}: {sum(r[0] == kind and r[5] == 'ok' for r in rows)}/{total} as required")
    return 0 if good == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
