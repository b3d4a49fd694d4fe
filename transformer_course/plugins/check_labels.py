"""LabelChecks: a preprocessor for `c.GenerateFeedback.preprocessors` that names each test cell.

nbgrader's feedback lists every test cell as "Test cell (Score: 1.0 / 1.0)". This gives each one
the label `Exercise <n>, <function>: <check>` from the notebook itself: the n-th code answer cell
is exercise n, and a test cell belongs to the answer whose grade id starts its own
(`attention_weights_values` is exercise 1's check "values"). The feedback template shows the label.
"""
from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from traitlets import Bool

NAMES = {"example": "worked example", "hidden": "hidden checks"}


class LabelChecks(Preprocessor):
    """Set `metadata.nbgrader.label` on each test cell: its exercise number, function and check."""

    enabled = Bool(True, help="Whether to label the test cells of the feedback.").tag(config=True)

    def preprocess(self, nb, resources):
        answers = [c.metadata.nbgrader["grade_id"] for c in nb.cells
                   if c.cell_type == "code" and utils.is_solution(c)]
        for cell in nb.cells:
            if utils.is_grade(cell) and not utils.is_solution(cell):
                cell.metadata.nbgrader["label"] = self.label(cell.metadata.nbgrader["grade_id"], answers)
        return nb, resources

    @staticmethod
    def label(grade_id, answers):
        owners = [a for a in answers if grade_id.startswith(a)]
        if not owners:
            return grade_id.replace("_", " ")
        answer = max(owners, key=len)
        check = grade_id[len(answer):].strip("_").replace("_", " ") or "check"
        return f"Exercise {answers.index(answer) + 1}, {answer}: {NAMES.get(check, check)}"
