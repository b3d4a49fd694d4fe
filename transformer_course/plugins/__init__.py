"""The course's nbgrader plugins, one per module, each set in nbgrader_config.py or on the command line:
late penalty, CSV exporters, hidden-test hiding in feedback, and the LMS roster collector."""
from .collector import RosterCollectorPlugin
from .exporters import CanvasCsvExportPlugin, ExerciseCsvExportPlugin
from .hide_hidden_tests import HideHiddenTests
from .late import DailyPenalty

__all__ = ["CanvasCsvExportPlugin", "DailyPenalty", "ExerciseCsvExportPlugin", "HideHiddenTests",
           "RosterCollectorPlugin"]
