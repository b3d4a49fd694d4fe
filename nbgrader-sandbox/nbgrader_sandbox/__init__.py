"""Sandboxed, parallel autograding for any nbgrader course.

Add to a course's ``nbgrader_config.py``::

    from nbgrader_sandbox import autograde_preprocessors, sanitize_preprocessors
    c.Autograde.sanitize_preprocessors = sanitize_preprocessors()
    c.Autograde.autograde_preprocessors = autograde_preprocessors()

and grade a class on every core with ``nbgrader-sandbox grade ASSIGNMENT`` (intake, then parallel
autograde) or, from Python, `grade(config, assignment)` and `autograde(config, assignment, students, jobs)`.
"""
from .autograde import autograde
from .config import autograde_preprocessors, sanitize_preprocessors
from .coursedir import GradingError
from .grade import grade
from .execute import SafeExecute
from .intake import intake
from .launcher import KERNEL_NAME, install_kernelspec
from .repair import RepairIds
from .sandbox import Sandbox, SandboxError

__all__ = ["GradingError", "KERNEL_NAME", "RepairIds", "SafeExecute", "Sandbox", "SandboxError", "autograde",
           "autograde_preprocessors", "grade", "install_kernelspec", "intake", "sanitize_preprocessors"]
