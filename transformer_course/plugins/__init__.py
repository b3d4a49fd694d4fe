"""The course's nbgrader plugins, one per module, each set in nbgrader_config.py or on the command line:
late penalty, CSV exporters, hidden-test hiding and check labels in feedback, the LMS roster
collector, and the sanitizing and content-security policy of the pages that show a submission."""
from .check_labels import LabelChecks
from .collector import RosterCollectorPlugin
from .csp import ContentSecurityPolicy
from .exporters import CanvasCsvExportPlugin, ExerciseCsvExportPlugin
from .hide_hidden_tests import HideHiddenTests
from .late import DailyPenalty
from .sanitize import CleanHTML, SanitizedMarkdown, SanitizeSubmission

__all__ = ["CanvasCsvExportPlugin", "CleanHTML", "ContentSecurityPolicy", "DailyPenalty", "ExerciseCsvExportPlugin",
           "HideHiddenTests", "LabelChecks", "RosterCollectorPlugin", "SanitizedMarkdown", "SanitizeSubmission"]
