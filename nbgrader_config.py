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
# Plain tracebacks when grading: IPython's default (Context) formats each one with stack_data and
# pygments, 0.05 to 0.4 s per failing cell (benchmarks/phases.py); Plain still quotes the failing
# line. Scores depend only on whether a cell raised. The feedback's figures are PNGs compressed at
# level 3, not 6: 0.05 s less per figure, a quarter larger.
c.Execute.extra_arguments = [
    "--InteractiveShell.xmode=Plain",
    "--InlineBackend.print_figure_kwargs={'bbox_inches': 'tight', 'pil_kwargs': {'compress_level': 3}}",
]

# Untrusted submissions (the grading engine nbgrader_sandbox, nbgrader-sandbox/README.md):
# autograde runs each notebook in a bubblewrap sandbox (no network, no course or home folder,
# memory and CPU caps and, where cgroups allow, a cap on processes and on the memory of all of
# them) and survives timeouts, dead kernels and huge outputs; duplicated or nameless grade ids
# are repaired in the autograded copy; links, devices and oversized files in a submission are
# never collected nor copied. Install the kernelspec once: `nbgrader-sandbox install`.
# Students' JupyterLab keeps the plain python3 kernel of the notebook.
from nbgrader_sandbox import SafeExchangeCollect, autograde_preprocessors, sanitize_preprocessors  # noqa: E402

c.Autograde.sanitize_preprocessors = sanitize_preprocessors()
c.Autograde.autograde_preprocessors = autograde_preprocessors()
c.ExchangeFactory.collect = SafeExchangeCollect  # submissions are data: links are never collected

# COURSE_SANDBOX=off grades without the sandbox (trusted code only); COURSE_SANDBOX_MEMORY,
# _CPU, _FILE, _TMP, _DISK (bytes, seconds) and _PROCESSES override the sandbox's limits.
sandbox = os.environ.get("COURSE_SANDBOX", "on").strip().lower()
if sandbox not in ("on", "off"):
    raise ValueError(f"COURSE_SANDBOX must be 'on' or 'off', not {sandbox!r}")
c.SafeExecute.sandbox = sandbox == "on"
for trait, variable in {"memory_limit": "COURSE_SANDBOX_MEMORY", "cpu_limit": "COURSE_SANDBOX_CPU",
                        "file_limit": "COURSE_SANDBOX_FILE", "tmp_limit": "COURSE_SANDBOX_TMP",
                        "disk_limit": "COURSE_SANDBOX_DISK", "process_limit": "COURSE_SANDBOX_PROCESSES"}.items():
    if variable in os.environ:
        c.Sandbox[trait] = int(os.environ[variable])

# Snapshots of the gradebook and notebooks in backups/ (`python -m transformer_course backup`; grade
# and release take one first): COURSE_BACKUPS=N keeps the newest N (default 5).
if "COURSE_BACKUPS" in os.environ:
    c.Backups.keep = int(os.environ["COURSE_BACKUPS"])

# Late submissions (due date set with `python -m transformer_course release --due ...`): 10 % of
# the raw score per started day late, nothing after ten days (transformer_course/plugins/late.py).
c.AssignLatePenalties.plugin_class = "transformer_course.plugins.DailyPenalty"
c.DailyPenalty.per_day = 0.1

# Feedback without the hidden tests' code, each check named by its exercise: nbgrader's own
# pipeline plus HideHiddenTests and LabelChecks (the label shows through the feedback template below).
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402
from transformer_course.plugins import HideHiddenTests, LabelChecks  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, HideHiddenTests, LabelChecks]

# No student HTML runs on the pages that show a submission, the feedback and formgrader's manual
# grading view (both rendered by nbconvert's HTMLExporter; transformer_course/plugins/sanitize.py,
# csp.py): markdown, HTML outputs and attachments are cleaned to an allow-list (formatting, tables,
# images, web links; LaTeX stays for MathJax), outputs that could run code are dropped, and both
# pages carry a content-security policy that forbids inline scripts (templates extending nbgrader's).
from transformer_course.plugins import (CleanHTML, ContentSecurityPolicy, SanitizedMarkdown,  # noqa: E402
                                        SanitizeSubmission, csp)

c.HTMLExporter.preprocessors = [SanitizeSubmission]
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = {"clean_html": CleanHTML, "markdown2html": SanitizedMarkdown,
                          "content_security_policy": ContentSecurityPolicy}
c.HTMLExporter.extra_template_basedirs = csp.template_basedirs()
c.HTMLExporter.template_file = "with_csp.html.j2"
