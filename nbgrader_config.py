"""nbgrader configuration of the course: everything lives inside this folder by default."""
import os
from pathlib import Path

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)
here = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "transformer-math"
c.CourseDirectory.root = str(here)
c.CourseDirectory.db_url = os.environ.get("NBGRADER_DB_URL", f"sqlite:///{here / 'gradebook.db'}")
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", str(here / "exchange"))

# A deleted test cell is put back from the gradebook instead of failing the notebook.
c.OverwriteCells.add_missing_cells = True
# nbgrader scores a test cell 0 if anything reaches stderr. Our test cells write nothing there,
# so any stderr comes from student code (warnings, debug prints) and must not cost points.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"[\s\S]"

# Untrusted submissions: autograde runs each notebook in a bubblewrap sandbox (no network, no
# course or home folder, memory and CPU caps, where cgroups allow a cap on processes and on the
# memory of all of them; COURSE_SANDBOX=off opts out) and survives
# timeouts, dead kernels and huge outputs. Install the kernelspec once:
#   python -m transformer_course.sandbox install
# Students' JupyterLab keeps the plain python3 kernel of the notebook.
from nbgrader.converters import Autograde  # noqa: E402
from nbgrader.preprocessors import Execute  # noqa: E402
from transformer_course.safe_execute import SafeExecute  # noqa: E402

c.Autograde.autograde_preprocessors = [
    SafeExecute if pp is Execute else pp for pp in Autograde.autograde_preprocessors.default()]

# Late submissions (due date set with `python -m transformer_course release --due ...`): 10 % of
# the raw score per started day late, nothing after ten days (transformer_course/late.py).
c.AssignLatePenalties.plugin_class = "transformer_course.late.DailyPenalty"
c.DailyPenalty.per_day = 0.1

# Feedback without the hidden tests' code: nbgrader's own pipeline plus HideHiddenTests.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402
from transformer_course.feedback import HideHiddenTests  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, HideHiddenTests]
