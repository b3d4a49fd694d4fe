"""The simulated class: students who fetch the assignment, answer it and submit it."""
import random
import re
import shutil
from pathlib import Path

import nbformat
from traitlets.config import Config

from .. import ASSIGNMENTS
from .answers import RIGHT, WRONG, reference_solutions

STUB = "    # YOUR CODE HERE\n    raise NotImplementedError()"
# What a good student writes in the second assignment's written answers (graded by hand).
WRITTEN = {
    "reflection_padding": "A real query i may only see keys j <= i, and with right padding every pad comes "
                          "after the last real token, so the causal part already hides the pads: only the "
                          "rows of padded queries change, and their outputs are thrown away. With left "
                          "padding the pads come first, in the past of every real token, so the padding "
                          "part is what hides them.",
    "reflection_architectures": "BERT: one bidirectional self-attention that blocks padding keys. GPT: one "
                                "causal self-attention that also blocks padding keys. Encoder-decoder: a "
                                "bidirectional encoder self-attention with source padding, a causal decoder "
                                "self-attention with target padding, and a cross-attention that is not causal "
                                "and blocks the source's padding.",
    "reflection_layernorm": "Pre-LN keeps an identity path through the residual stream, so gradients reach the "
                            "first layers of a deep stack directly and training is stable without a long "
                            "warm-up; post-LN renormalises after every block. The cost: the residual stream "
                            "grows with depth, so a final LayerNorm is needed.",
}


def solutions(course):
    """The instructor's answer to each exercise, as function bodies."""
    return reference_solutions(course.notebook("source"))


def answer(nb, bodies):
    """Write function bodies into the answer cells of a released notebook (in place), and text into
    its written answers. A body that starts with a `def` line also replaces the cell's `def` line."""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in bodies:
            body = bodies[meta["grade_id"]]
            if cell.cell_type == "markdown":
                cell.source = body
                continue
            if body.startswith("def "):
                signature, body = body.split("\n", 1)
                cell.source = re.sub(r"^def .*$", lambda _: signature, cell.source, count=1, flags=re.M)
            cell.source = cell.source.replace(STUB, body.rstrip("\n"))
    return nb


def roster(course, size=6, seed=0):
    """A class of `size` students: one perfect, one blank, the rest a seeded mix of answers.

    Returns {student_id: {function: body}}; a function missing from the dict stays blank.
    """
    reference = solutions(course)
    rng = random.Random(seed)
    students = {"sim-perfect": dict(reference, **WRITTEN), "sim-blank": {}}
    for n in range(size - 2):
        bodies = {}
        for function in ASSIGNMENTS[course.assignment]:
            pick = rng.random()
            if pick < 0.55:
                bodies[function] = reference[function]
            elif pick < 0.7:
                bodies[function] = rng.choice([a for a in RIGHT if a.function == function]).body
            elif pick < 0.95:
                bodies[function] = rng.choice([a for a in WRONG if a.function == function]).body
        students[f"sim-{n + 1:03d}"] = bodies
    return dict(list(students.items())[:size])


def place_submission(course, student, bodies):
    """Put a student's answered copy of the released notebook straight into submitted/."""
    folder = course.path("submitted", student)
    folder.mkdir(parents=True, exist_ok=True)
    nb = answer(nbformat.read(course.notebook("release"), as_version=4), bodies)
    nbformat.write(nb, folder / course.notebook("release").name)
    return folder


def _student_config(course, home, student):
    config = Config()
    config.CourseDirectory.course_id = course.config.CourseDirectory.course_id
    config.CourseDirectory.root = str(home)
    config.CourseDirectory.assignment_id = course.assignment
    config.CourseDirectory.student_id = student
    config.Exchange.root = str(course.exchange)
    config.Exchange.assignment_dir = str(home)
    config.Exchange.cache = str(home / ".nbgrader_cache")
    return config


def _run(app_class, config):
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory

    app = app_class(coursedir=CourseDirectory(config=config),
                    authenticator=Authenticator(config=config), config=config)
    app.start()


def fetch_and_submit(course, student, bodies, homes):
    """One student: fetch from the exchange into their home folder, answer, submit."""
    from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeSubmit

    home = Path(homes) / student
    shutil.rmtree(home / course.assignment, ignore_errors=True)
    home.mkdir(parents=True, exist_ok=True)
    config = _student_config(course, home, student)
    _run(ExchangeFetchAssignment, config)
    path = home / course.assignment / course.notebook("release").name
    nbformat.write(answer(nbformat.read(path, as_version=4), bodies), path)
    _run(ExchangeSubmit, config)
    return home


FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Radia", "Ken")
LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "McCarthy", "Perlman",
        "Thompson", "O'Neil", "García-López")


def class_list(students, first_lms_id=10001):
    """Roster rows (id, first_name, last_name, email, lms_id) for simulated student ids."""
    return [{"id": student, "first_name": FIRST[n % len(FIRST)], "last_name": LAST[n % len(LAST)],
             "email": f"{student}@example.edu", "lms_id": str(first_lms_id + n)}
            for n, student in enumerate(students)]
