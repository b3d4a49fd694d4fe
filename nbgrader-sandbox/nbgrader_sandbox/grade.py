"""Grade a class: the intake of every submission, then parallel autograde of the readable ones."""
from .autograde import autograde
from .coursedir import gradebook
from .intake import intake


def grade(config, assignment, students=None, jobs=None, progress=None):
    """Inspect, then autograde every readable submission on `jobs` processes; `progress(student,
    reason)` is called as each student is done (the unreadable ones first).

    Returns ({student: reason not graded}, intake records). An unreadable submission's student is
    added to the gradebook, as nbgrader does for those it grades, so exports list them."""
    records = intake(config, assignment, students)
    problems = {s: "; ".join(r["notes"]) for s, r in records.items() if not r["graded"]}
    with gradebook(config) as gb:
        for student, reason in problems.items():
            gb.update_or_create_student(student)
            if progress is not None:
                progress(student, reason)
    readable = [s for s in records if s not in problems]
    if readable:
        graded = autograde(config, assignment, readable, jobs=jobs, progress=progress)
        problems.update({s: p for s, p in graded.items() if p})
    return problems, records
