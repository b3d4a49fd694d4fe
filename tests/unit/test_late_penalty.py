"""DailyPenalty: the course's late policy, a fraction of the score per started day late."""
import pytest

from transformer_course.plugins.late import DailyPenalty

DAY = 86400


@pytest.mark.parametrize("seconds_late, penalty", [
    pytest.param(0, 0.0, id="on-time"),
    pytest.param(-3600, 0.0, id="early"),
    pytest.param(1, 1.0, id="one-second"),
    pytest.param(DAY, 1.0, id="exactly-one-day"),
    pytest.param(DAY + 1, 2.0, id="one-day-and-a-second"),
    pytest.param(3 * DAY, 3.0, id="three-days"),
    pytest.param(9 * DAY + 1, 10.0, id="started-tenth-day"),
    pytest.param(10 * DAY, 10.0, id="ten-days"),
    pytest.param(30 * DAY, 10.0, id="a-month-capped"),
])
def test_penalty_per_started_day(seconds_late, penalty):
    assert DailyPenalty().late_submission_penalty("s1", 10.0, seconds_late) == penalty


@pytest.mark.parametrize("score, seconds_late", [
    pytest.param(7.0, 10 * DAY, id="ten-days"),
    pytest.param(3.33, 11 * DAY, id="eleven-days"),
    pytest.param(0.0, 2 * DAY, id="zero-score"),
])
def test_penalty_never_exceeds_score(score, seconds_late):
    assert DailyPenalty().late_submission_penalty("s1", score, seconds_late) == score


@pytest.mark.parametrize("seconds_late, penalty", [
    pytest.param(0, 0.0, id="on-time"),
    pytest.param(30 * 60 - 1, 0.0, id="within-grace"),
    pytest.param(30 * 60, 0.0, id="grace-end"),
    pytest.param(30 * 60 + 1, 1.0, id="just-past-grace"),
    pytest.param(30 * 60 + DAY, 1.0, id="one-day-after-grace"),
    pytest.param(30 * 60 + DAY + 1, 2.0, id="one-day-and-a-second-after-grace"),
])
def test_grace_minutes_cost_nothing_and_shift_the_days(seconds_late, penalty):
    plugin = DailyPenalty(grace_minutes=30)
    assert plugin.late_submission_penalty("s1", 10.0, seconds_late) == penalty


@pytest.mark.parametrize("per_day, score, seconds_late, penalty", [
    pytest.param(0.1, 7.777, 1, 0.78, id="round-up"),
    pytest.param(0.1, 3.333, 2 * DAY, 0.67, id="two-days"),
    pytest.param(0.1, 7.0, 3 * DAY, 2.1, id="float-noise"),
    pytest.param(0.25, 9.0, DAY + 1, 4.5, id="custom-per-day"),
    pytest.param(0.25, 9.99, 5 * DAY, 9.99, id="custom-per-day-capped"),
])
def test_penalty_rounded_to_two_decimals(per_day, score, seconds_late, penalty):
    assert DailyPenalty(per_day=per_day).late_submission_penalty("s1", score, seconds_late) == penalty
