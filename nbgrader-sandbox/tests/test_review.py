"""The intake's static scan of the cells a student can edit."""
import ast

import pytest

from nbgrader_sandbox.review import Tampering


@pytest.mark.parametrize("code, found", [
    ("np = None", ["assigns np"]),
    ("import torch as np", ["imports torch as np"]),
    ("from unittest.mock import call", ["imports call as call"]),
    ("del np.linalg", ["deletes np.linalg"]),
    ("setattr(np, 'sum', len)", ["setattr on np"]),
    ("def f():\n    global np\n    np = None", ["global np"]),
    ("open('/etc/passwd')\nopen('../../gradebook.db')", ["path /etc/passwd", "path ../../gradebook.db"]),
    ("def f(using):\n    np, call = 1, 2\n    return open('data.txt')", []),
    ("import numpy as np\nimport sys\nsys.stderr.write('/ not a path')\n'/'.join('ab')", []),
])
def test_review_scan(code, found):
    scan = Tampering(["call", "using"])
    scan.visit(ast.parse(code))
    assert scan.found == found
