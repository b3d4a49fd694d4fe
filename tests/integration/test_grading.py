"""Real `nbgrader autograde` of the instructor's answers, a blank notebook and the answer catalogue,
on both assignments."""
import pytest

from transformer_course import ASSIGNMENTS, BLOCKS
from transformer_course.simulation import classroom
from transformer_course.simulation.answers import HOSTILE, RIGHT, WRONG

from conftest import grade as grade_all

FULL = {"transformer_architecture": 41, BLOCKS: 22}  # the autograded points; the written answers wait for a person


def grade(course, student, bodies):
    """{exercise: (score, max)} of the autograded exercises of a real nbgrader autograde."""
    scores = grade_all(course, student, bodies)
    assert set(scores) - set(ASSIGNMENTS[course.assignment]) <= {"reflection_padding", "reflection_architectures",
                                                                  "reflection_layernorm"}
    return {e: scores[e] for e in ASSIGNMENTS[course.assignment]}


def slug(answer):
    return f"{answer.function}-{answer.name}".replace(" ", "-").replace("'", "")


@pytest.fixture(scope="session")
def courses(course, blocks):
    return {course.assignment: course, blocks.assignment: blocks}


def graded(courses, student, answer):
    """Grade the reference solution of the answer's assignment with the answer in place."""
    course = courses[next(a for a, functions in ASSIGNMENTS.items() if answer.function in functions)]
    return grade(course, student, dict(classroom.solutions(course), **{answer.function: answer.body}))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_instructor_solution_scores_full_marks(courses, assignment):
    course = courses[assignment]
    scores = grade(course, "instructor", classroom.solutions(course))
    assert sum(s for s, _ in scores.values()) == FULL[assignment]
    assert all(s == m for s, m in scores.values())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_blank_notebook_scores_zero(courses, assignment):
    scores = grade(courses[assignment], "blank", {})
    assert sum(s for s, _ in scores.values()) == 0


@pytest.mark.parametrize("answer", WRONG, ids=slug)
def test_wrong_answer_loses_points_on_its_own_exercise_only(courses, answer):
    scores = graded(courses, slug(answer), answer)
    lost = {e: m - s for e, (s, m) in scores.items() if s < m}
    assert set(lost) == {answer.function}, lost


@pytest.mark.parametrize("answer", HOSTILE, ids=slug)
def test_hostile_answer_loses_points_on_its_own_exercise(courses, answer):
    scores = graded(courses, slug(answer), answer)
    assert scores[answer.function][0] < scores[answer.function][1], scores


@pytest.mark.parametrize("answer", RIGHT, ids=slug)
def test_correct_answer_keeps_full_marks(courses, answer):
    scores = graded(courses, slug(answer), answer)
    assert all(s == m for s, m in scores.values()), scores


def test_blank_dependencies_cost_nothing_elsewhere(course, reference):
    """Answers that call layer_norm, causal_mask or head_dim keep their points when those are blank."""
    calls_others = {a.function: a.body for a in RIGHT if a.name in ("reuses causal_mask", "uses head_dim")}
    bodies = {f: b for f, b in dict(reference, **calls_others).items()
              if f not in ("layer_norm", "causal_mask", "head_dim")}
    scores = grade(course, "dependencies-blank", bodies)
    for exercise in ("pre_ln_block", "decoder_mask", "check_attention_inputs"):
        assert scores[exercise][0] == scores[exercise][1], exercise
