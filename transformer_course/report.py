"""Report: how the class did, read from the gradebook, as a one-screen summary, a PNG and an HTML page."""
import html
from pathlib import Path
from typing import NamedTuple

import pandas as pd
from nbgrader.api import MissingEntry
from nbgrader_sandbox.intake import load

from . import NOTEBOOK
from .course import CourseError
from .scoring import check_scores, exercise_of, exercise_scores, exercises_of, submission_row

GRADED = ("graded", "late")


class ClassData(NamedTuple):
    students: pd.DataFrame   # index student; first/last name, status, total, late_penalty, intake notes,
                             # by_hand (written answers still to grade)
    scores: pd.DataFrame     # index student (submitted only); one column per exercise, fraction of its points
    checks: pd.DataFrame     # index test cell (autograded); exercise, points, pass_rate over submitted students
    max_score: float


def class_data(course):
    """Everything the report shows, from the gradebook and the intake."""
    intake = load(course.root, course.assignment)
    with course.gradebook() as gradebook:
        try:
            assignment = gradebook.find_assignment(course.assignment)
        except MissingEntry:
            raise CourseError(f"assignment {course.assignment} is not in the gradebook: release it first") from None
        exercises = exercises_of(gradebook, course.assignment)
        students, scores, passed = {}, {}, {}
        for student in sorted(gradebook.students, key=lambda s: s.id):
            row = submission_row(gradebook, course.assignment, student.id)
            record = intake.get(student.id, {})
            if row["status"] == "missing" and record and not record["graded"]:
                row["status"] = "not graded"  # submitted, but the intake kept it from grading
            students[student.id] = dict(row, first_name=student.first_name, last_name=student.last_name,
                                        intake="; ".join(record.get("notes", [])), by_hand=False)
            if row["status"] not in GRADED:
                continue
            students[student.id]["by_hand"] = gradebook.find_submission(
                course.assignment, student.id).needs_manual_grade
            scores[student.id] = {e: s / m for e, (s, m) in
                                  exercise_scores(gradebook, course.assignment, student.id).items()}
            for name, (score, points) in check_scores(gradebook, course.assignment, student.id).items():
                passed.setdefault(name, []).append(score >= points)
        notebook = gradebook.find_notebook(NOTEBOOK, course.assignment)
        written = {c.name for c in notebook.solution_cells}  # answers graded by hand, not checks
        cells = [c for c in notebook.grade_cells if c.name not in written]
        checks = pd.DataFrame(
            [{"check": c.name, "exercise": exercise_of(c.name, exercises), "points": c.max_score,
              "pass_rate": sum(passed.get(c.name, [])) / max(1, len(passed.get(c.name, [])))} for c in cells]
        ).set_index("check")
        max_score = assignment.max_score
    score_frame = pd.DataFrame.from_dict(scores, orient="index", columns=exercises)
    return ClassData(pd.DataFrame.from_dict(students, orient="index"), score_frame, checks, max_score)


def summary(data, top=3):
    """A plain-text summary that fits on one screen."""
    s = data.students
    graded = s[s.status.isin(GRADED)]
    late = s[s.status == "late"]
    lines = [f"{len(s)} students: {len(graded)} graded ({len(late)} late), "
             f"{(s.status == 'not graded').sum()} not graded, {(s.status == 'missing').sum()} missing",
             f"total: mean {graded.total.mean():.1f}, median {graded.total.median():.1f} of {data.max_score:g}"
             if len(graded) else "total: no submissions",
             "exercise means: " + ", ".join(f"{e} {v:.0%}" for e, v in data.scores.mean().items())]
    hardest = data.checks.sort_values("pass_rate").head(top)
    lines.append("most failed checks: " + ", ".join(f"{c} ({r:.0%} pass)" for c, r in hardest.pass_rate.items()))
    lines.append("missing: " + (", ".join(s.index[s.status == "missing"]) or "none"))
    lines.append("late: " + (", ".join(f"{i} (-{p:g})" for i, p in late.late_penalty.items()) or "none"))
    if s.by_hand.any():
        lines.append(f"to grade by hand in formgrader: {', '.join(s.index[s.by_hand])} "
                     "(written answers count 0 until graded)")
    lines += [f"intake: {i}: {notes}" for i, notes in s.intake.items() if notes]
    return "\n".join(lines)


def figure(data, path, top=10):
    """PNG: per-exercise score distribution, most failed checks, totals, and submission status."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.ticker import MaxNLocator

    sns.set_theme(style="whitegrid", palette="colorblind")
    colors = sns.color_palette("colorblind")
    fig, axes = plt.subplots(2, 2, figsize=(15, 10), dpi=110)
    bands = pd.DataFrame({"full marks": (data.scores >= 1).mean(),
                          "partial": ((data.scores > 0) & (data.scores < 1)).mean(),
                          "zero": (data.scores <= 0).mean()})
    bands.plot.barh(stacked=True, ax=axes[0, 0], color=[colors[2], colors[1], colors[3]], width=0.8)
    axes[0, 0].invert_yaxis()
    axes[0, 0].set(title="Score per exercise (share of submissions)", xlim=(0, 1))
    axes[0, 0].legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), ncols=3, frameon=False)
    hardest = data.checks.sort_values("pass_rate").head(top)
    palette = dict(zip(data.scores.columns, sns.color_palette("colorblind", len(data.scores.columns))))
    sns.barplot(x=hardest.pass_rate, y=hardest.index, hue=hardest.exercise, dodge=False, ax=axes[0, 1],
                palette=palette, hue_order=[e for e in palette if e in set(hardest.exercise)])
    axes[0, 1].set(title=f"The {len(hardest)} most failed checks", xlabel="pass rate", ylabel="", xlim=(0, 1))
    axes[0, 1].legend(title="colour: the check's exercise", loc="upper center", bbox_to_anchor=(0.5, -0.12),
                      ncols=3, frameon=False, fontsize="small")
    status = data.students.status
    sns.histplot(data.students[status.isin(GRADED)], x="total", hue="status", multiple="stack",
                 binwidth=max(1.0, data.max_score / 20), binrange=(0, data.max_score), ax=axes[1, 0])
    axes[1, 0].set(title="Total score (after late penalties)", xlabel=f"points of {data.max_score:g}",
                   ylabel="students")
    counts = status.value_counts().reindex([*GRADED, "not graded", "missing"], fill_value=0)
    sns.barplot(x=counts.index, y=counts.values, hue=counts.index, ax=axes[1, 1], legend=False)
    for x, n in enumerate(counts.values):
        axes[1, 1].annotate(str(n), (x, n), ha="center", va="bottom")
    axes[1, 1].set(title="Submissions", ylabel="students")
    for ax in (axes[1, 0], axes[1, 1]):  # counts of students: whole numbers only
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return Path(path)


def page(data, path, image):
    """HTML page: the figure, then tables of exercises, most failed checks, missing and late students."""
    s = data.students

    def table(frame, **kwargs):
        return frame.to_html(classes="table", border=0, float_format=lambda v: f"{v:.2f}", **kwargs)

    late = s[s.status == "late"][["first_name", "last_name", "total", "late_penalty"]]
    missing = s[s.status == "missing"][["first_name", "last_name"]]
    odd = s[s.intake != ""][["first_name", "last_name", "status", "total", "intake"]]
    body = [
        "<h1>Class report</h1>", f"<pre>{html.escape(summary(data))}</pre>",
        f'<img src="{html.escape(Path(image).name)}" alt="class report figure" style="max-width:100%">',
        "<h2>Exercises (mean share of points)</h2>", table(data.scores.mean().to_frame("mean")),
        "<h2>Most failed checks</h2>", table(data.checks.sort_values("pass_rate").head(10)),
        f"<h2>Missing ({len(missing)})</h2>", table(missing), f"<h2>Late ({len(late)})</h2>", table(late),
        f"<h2>Odd submissions ({len(odd)})</h2>", table(odd),
    ]
    Path(path).write_text("<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Class report</title>"
                          "<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px}</style>"
                          "</head><body>\n" + "\n".join(body) + "\n</body></html>\n")
    return Path(path)


def report(course, folder="reports"):
    """Write reports/<assignment>.png and .html; return (summary text, [paths])."""
    data = class_data(course)
    out = course.root / folder
    out.mkdir(exist_ok=True)
    image = figure(data, out / f"{course.assignment}.png")
    return summary(data), [image, page(data, out / f"{course.assignment}.html", image)]
