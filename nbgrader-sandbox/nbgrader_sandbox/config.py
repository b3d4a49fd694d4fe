"""What a course sets in its nbgrader_config.py to adopt the engine: the autograde steps' lists."""
from nbgrader.converters import Autograde
from nbgrader.preprocessors import DeduplicateIds, Execute

from .execute import SafeExecute
from .repair import RepairIds


def sanitize_preprocessors():
    """nbgrader's sanitize steps of autograde, with DeduplicateIds replaced by RepairIds."""
    return [RepairIds if p is DeduplicateIds else p for p in Autograde.sanitize_preprocessors.default()]


def autograde_preprocessors():
    """nbgrader's autograde steps, with Execute replaced by SafeExecute."""
    return [SafeExecute if p is Execute else p for p in Autograde.autograde_preprocessors.default()]
