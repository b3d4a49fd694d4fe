"""The answer catalogue: wrong answers are the reference solution with one named edit."""
import ast
import json
from collections import Counter

import pytest

from transformer_course import ASSIGNMENTS
from transformer_course.simulation.answers import (HOSTILE, REFERENCE, RIGHT, SOURCES, WRONG, Answer,
                                                   CatalogueError, Mistake, reference_solutions)

EXERCISES = [function for functions in ASSIGNMENTS.values() for function in functions]


def wrapped(answer):
    """The answer as a whole function; a body that starts with a def line already is one."""
    if answer.body.startswith(f"def {answer.function}("):
        return answer.body
    return f"def {answer.function}(*args, **kwargs):\n{answer.body}"


def test_the_reference_is_each_function_of_the_notebook():
    assert list(REFERENCE) == list(EXERCISES)
    cells = [cell for path in SOURCES for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]]
    sources = ["".join(c["source"]) for c in cells if c["metadata"].get("nbgrader", {}).get("solution")]
    for function, body in REFERENCE.items():
        assert any(f"### BEGIN SOLUTION\n{body}" in source for source in sources), function


@pytest.mark.parametrize("answer", WRONG, ids=lambda a: f"{a.function}-{a.name}")
def test_wrong_answer_differs_from_the_reference_and_parses(answer):
    assert answer.function in EXERCISES
    assert answer.body != REFERENCE[answer.function]
    assert answer.body.endswith("\n") and not answer.body.endswith("\n\n")
    body = answer.body.split("\n", 1)[1] if answer.body.startswith("def ") else answer.body
    assert all(line.startswith("    ") for line in body.splitlines() if line.strip())
    ast.parse(wrapped(answer))


@pytest.mark.parametrize("kind, answers", [("wrong", WRONG), ("right", RIGHT), ("hostile", HOSTILE)])
def test_names_are_unique_per_function(kind, answers):
    counts = Counter((a.function, a.name) for a in answers)
    assert [key for key, n in counts.items() if n > 1] == []
    assert all(isinstance(a, Answer) and a.body.endswith("\n") for a in answers)
    for answer in answers:
        ast.parse(wrapped(answer))


def test_every_exercise_has_wrong_and_right_answers():
    assert {a.function for a in WRONG} == {a.function for a in RIGHT} == set(EXERCISES)


def test_an_edit_changes_exactly_the_snippet():
    reference = {"f": "    x = 1\n    y = 2\n    return x + y\n"}
    assert Mistake("f", "minus", replace=("x + y", "x - y")).answer(reference).body == \
        "    x = 1\n    y = 2\n    return x - y\n"
    assert Mistake("f", "two", replace=[("= 1", "= 3"), ("= 2", "= 4")]).answer(reference).body == \
        "    x = 3\n    y = 4\n    return x + y\n"
    assert Mistake("f", "no y", drop="y = 2", replace=("x + y", "x")).answer(reference).body == \
        "    x = 1\n    return x\n"
    assert Mistake("f", "whole", body="\n    return 3").answer(reference) == Answer("f", "whole", "    return 3\n")
    assert Mistake("f", "default", signature="def f(x=2):").answer(reference).body == \
        "def f(x=2):\n    x = 1\n    y = 2\n    return x + y\n"


@pytest.mark.parametrize("mistake, problem", [
    (Mistake("f", "missing", replace=("x * y", "x - y")), "'x \\* y' occurs 0 times"),
    (Mistake("f", "ambiguous", replace=(" = ", " == ")), "' = ' occurs 2 times"),
    (Mistake("f", "ambiguous line", drop="= "), "'= ' occurs 2 times"),
    (Mistake("f", "no-op", replace=("x + y", "x + y")), "unchanged"),
    (Mistake("f", "nothing"), "no edit"),
    (Mistake("f", "both", replace=("x", "z"), body="    return 1"), "not both"),
    (Mistake("g", "unknown function", replace=("x", "z")), "no reference solution"),
    (Mistake("f", "other function", signature="def g(x=2):"), "must define f"),
])
def test_an_edit_that_does_not_fit_fails_naming_the_answer(mistake, problem):
    reference = {"f": "    x = 1\n    y = 2\n    return x + y\n"}
    with pytest.raises(CatalogueError, match=f"wrong answer {mistake.function} / '{mistake.name}'.*{problem}"):
        mistake.answer(reference)


def test_reading_the_notebook_again_gives_the_same_catalogue():
    assert {f: b for path in SOURCES for f, b in reference_solutions(path).items()} == REFERENCE
