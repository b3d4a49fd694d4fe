"""Real `nbgrader autograde` of the instructor's answers, a blank notebook and the answer catalogue."""
import pytest

from transformer_course.simulation.answers import HOSTILE, RIGHT, WRONG

from conftest import grade

FULL = 41


def slug(answer):
    return f"{answer.function}-{answer.name}".replace(" ", "-").replace("'", "")


def test_instructor_solution_scores_full_marks(course, reference):
    scores = grade(course, "instructor", reference)
    assert sum(s for s, _ in scores.values()) == FULL
    assert all(s == m for s, m in scores.values())


def test_blank_notebook_scores_zero(course):
    scores = grade(course, "blank", {})
    assert sum(s for s, _ in scores.values()) == 0


@pytest.mark.parametrize("answer", WRONG, ids=slug)
def test_wrong_answer_loses_points_on_its_own_exercise_only(course, reference, answer):
    scores = grade(course, slug(answer), dict(reference, **{answer.function: answer.body}))
    lost = {e: m - s for e, (s, m) in scores.items() if s < m}
    assert set(lost) == {answer.function}, lost


@pytest.mark.parametrize("answer", HOSTILE, ids=slug)
def test_hostile_answer_loses_points_on_its_own_exercise(course, reference, answer):
    scores = grade(course, slug(answer), dict(reference, **{answer.function: answer.body}))
    assert scores[answer.function][0] < scores[answer.function][1], scores


@pytest.mark.parametrize("answer", RIGHT, ids=slug)
def test_correct_answer_keeps_full_marks(course, reference, answer):
    scores = grade(course, slug(answer), dict(reference, **{answer.function: answer.body}))
    assert all(s == m for s, m in scores.values()), scores


def test_blank_dependencies_cost_nothing_elsewhere(course, reference):
    """Answers that call layer_norm, causal_mask or head_dim keep their points when those are blank."""
    calls_others = {a.function: a.body for a in RIGHT if a.name in ("reuses causal_mask", "uses head_dim")}
    bodies = {f: b for f, b in dict(reference, **calls_others).items()
              if f not in ("layer_norm", "causal_mask", "head_dim")}
    scores = grade(course, "dependencies-blank", bodies)
    for exercise in ("pre_ln_block", "decoder_mask", "check_attention_inputs"):
        assert scores[exercise][0] == scores[exercise][1], exercise
