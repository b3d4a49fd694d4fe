"""Export: the gradebook as CSV files through nbgrader's export plugins."""
from nbgrader.apps import ExportApp
from traitlets.config import Config

from ..course import CourseError

EXPORTS = {
    "grades.csv": "nbgrader.plugins.export.CsvExportPlugin",
    "grades_by_exercise.csv": "transformer_course.plugins.ExerciseCsvExportPlugin",
    "grades_canvas.csv": "transformer_course.plugins.CanvasCsvExportPlugin",
}


def export(course, to="grades.csv", exporter=None):
    """`nbgrader export` into `to` (relative to the course folder) with the given plugin class."""
    config = Config(course.config)
    config.ExportApp.plugin_class = exporter or EXPORTS[to]
    config.ExportPlugin.to = str(course.root / to)
    config.ExportApp.log_level = "WARN"
    app = ExportApp(config=config)
    app.initialize([])
    app.update_config(config)  # over nbgrader_config.py, which initialize reads again
    app.coursedir.update_config(config)
    app.start()
    return course.root / to


def export_all(course):
    """Every CSV of EXPORTS for every assignment in the gradebook, rewritten from it (so re-running
    never duplicates rows)."""
    with course.gradebook() as gradebook:
        if not gradebook.assignments:
            raise CourseError("no assignment in the gradebook: release one first")
    return [export(course, to) for to in EXPORTS]
