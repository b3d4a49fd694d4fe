"""Sandboxed, parallel autograding for any nbgrader course.

Add to a course's ``nbgrader_config.py``::

    from nbgrader_sandbox import SafeExchangeCollect, autograde_preprocessors, sanitize_preprocessors
    c.Autograde.sanitize_preprocessors = sanitize_preprocessors()
    c.Autograde.autograde_preprocessors = autograde_preprocessors()
    c.ExchangeFactory.collect = SafeExchangeCollect

and grade a class on every core with ``nbgrader-sandbox grade ASSIGNMENT`` (intake, then parallel
autograde) or, from Python, `grade(config, assignment)` and `autograde(config, assignment, students, jobs)`.
"""
import importlib

# name: module. Imported on first use, so that the sandboxed kernel's launcher
# (`python -m nbgrader_sandbox.launcher`) does not import nbgrader. No export is named like a module.
_EXPORTS = {
    "GradingError": "coursedir", "KERNEL_NAME": "launcher", "RepairIds": "repair", "SafeExecute": "execute",
    "SafeExchangeCollect": "collect",
    "Sandbox": "sandbox", "SandboxError": "sandbox", "autograde": "parallel",
    "autograde_preprocessors": "config", "grade": "parallel", "install_kernelspec": "launcher",
    "sanitize_preprocessors": "config",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
