"""The instructor's workflow, one module per step, each a thin layer over nbgrader's apps and API:
roster, release, collect (exchange) or lms (zip download), grade, feedback, export; demo runs them
all on a simulated class."""
