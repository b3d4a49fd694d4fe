"""HideHiddenTests: a preprocessor for `c.GenerateFeedback.preprocessors` that keeps hidden tests
out of the feedback.

nbgrader's feedback shows every test cell as graded, hidden tests included. This replaces each
hidden-test region by a placeholder line and drops the traceback frames that quote hidden code,
keeping the error's name and message (the check's explanation of what failed).
"""
import re

from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from traitlets import Bool, Unicode

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class HideHiddenTests(Preprocessor):
    """Hide the source of hidden tests, and traceback lines quoting it, from the feedback."""

    enabled = Bool(True, help="Whether to hide hidden tests from the feedback.").tag(config=True)
    begin = Unicode("### BEGIN HIDDEN TESTS", help="Line that starts a hidden-test region.").tag(config=True)
    end = Unicode("### END HIDDEN TESTS", help="Line that ends a hidden-test region.").tag(config=True)
    placeholder = Unicode("# (hidden checks: the code is not shown; the result is below)",
                          help="What replaces each hidden-test region.").tag(config=True)

    def hidden_lines(self, source):
        """The stripped, non-trivial lines inside the hidden-test regions of `source`."""
        pattern = re.escape(self.begin) + r"(.*?)" + re.escape(self.end)
        return {line.strip() for block in re.findall(pattern, source, re.S)
                for line in block.splitlines() if len(line.strip()) > 3}

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not utils.is_grade(cell) or self.begin not in cell.source:
            return cell, resources
        hidden = self.hidden_lines(cell.source)
        pattern = re.escape(self.begin) + r".*?" + re.escape(self.end)
        cell.source = re.sub(pattern, lambda _: self.placeholder, cell.source, flags=re.S)
        own_frame = f"In[{cell.get('execution_count')}]"
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.traceback = [
                    frame for frame in output.traceback
                    if own_frame not in ANSI.sub("", frame)
                    and not any(line in ANSI.sub("", frame) for line in hidden)]
                if not output.traceback or not ANSI.sub("", output.traceback[-1]).startswith(f"{output.ename}:"):
                    output.traceback.append(f"{output.ename}: {output.evalue}")
        return cell, resources
