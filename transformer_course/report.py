"""Report: how the class did, read from the gradebook."""
from nbgrader.api import MissingEntry

from .exporters import exercise_scores


def class_results(course):
    """[(student, {exercise: (score, max)} or None if missing, total, max)] for the assignment."""
    results = []
    with course.gradebook() as gradebook:
        max_score = gradebook.find_assignment(course.assignment).max_score
        for student in sorted(gradebook.students, key=lambda s: s.id):
            try:
                submission = gradebook.find_submission(course.assignment, student.id)
            except MissingEntry:
                results.append((student.id, None, 0.0, max_score))
                continue
            scores = exercise_scores(gradebook, course.assignment, student.id)
            results.append((student.id, scores, submission.score, max_score))
    return results


def grade_rows(course):
    """Every grade of the gradebook as sorted (student, notebook, cell, auto_score, manual_score) rows."""
    from nbgrader.api import Grade

    with course.gradebook() as gradebook:
        return sorted((g.student.id, g.notebook.name, g.name, g.auto_score, g.manual_score)
                      for g in gradebook.db.query(Grade))


def summary_table(results, problems=None):
    """A plain-text table: one row per student, one column per exercise, then the total."""
    problems = problems or {}
    exercises = next((list(s) for _, s, _, _ in results if s), [])
    header = ["student", *[str(i + 1) for i in range(len(exercises))], "total", "status"]
    rows = []
    for student, scores, total, max_score in results:
        status = problems.get(student) or ("missing" if scores is None else "graded")
        cells = [f"{scores[e][0]:g}/{scores[e][1]:g}" if scores else "-" for e in exercises]
        rows.append([student, *cells, f"{total:g}/{max_score:g}", status])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows]]
    legend = "exercises: " + ", ".join(f"{i + 1} {e}" for i, e in enumerate(exercises))
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:], "", legend])
