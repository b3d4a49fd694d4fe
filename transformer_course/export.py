"""Export: the gradebook as CSV through nbgrader's export plugins."""
from nbgrader.apps import ExportApp
from traitlets.config import Config


def export(course, to="grades.csv", exporter=None):
    """`nbgrader export` into `to` (relative to the course folder) with the given plugin class."""
    config = Config(course.config)
    config.ExportApp.plugin_class = exporter or "nbgrader.plugins.export.CsvExportPlugin"
    config.ExportPlugin.to = str(course.root / to)
    app = ExportApp(config=config)
    app.initialize([])
    app.start()
    return course.root / to
