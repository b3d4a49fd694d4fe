"""Late policy: a LateSubmissionPlugin for nbgrader's AssignLatePenalties preprocessor.

Enabled in nbgrader_config.py with `c.AssignLatePenalties.plugin_class`. The penalty is a fraction
of the raw score per started day late (10 % by default), so a day late keeps 90 %, ten days late
keeps nothing; submissions within the grace period are not penalised.
"""
import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float


class DailyPenalty(LateSubmissionPlugin):
    """Take `per_day` of the score for each started day after the due date (plus `grace_minutes`)."""

    per_day = Float(0.1, help="Fraction of the raw score lost per started day late.").tag(config=True)
    grace_minutes = Float(0.0, help="Minutes after the due date that cost nothing.").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        late = total_seconds_late - 60 * self.grace_minutes
        if late <= 0:
            return 0.0
        return round(min(score, score * self.per_day * math.ceil(late / 86400)), 2)
