"""cgroup limits: the files and texts that set each cap; a real cgroup's CPU cap, and a cgroup
delegated by root to a user who is not root, where this process may create cgroups (root);
skipped elsewhere."""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from nbgrader_sandbox import cgroup
from nbgrader_sandbox.cgroup import Cgroup, hierarchies, limit_files

SYSTEM_PYTHON = "/usr/bin/python3"  # one the user nobody can run


@pytest.mark.parametrize("controller, version, value, expected", [
    ("pids", 1, 128, [("pids.max", "128")]),
    ("pids", 2, "max", [("pids.max", "max")]),
    ("memory", 1, 2**31, [("memory.limit_in_bytes", str(2**31))]),
    ("memory", 2, 2**31, [("memory.max", str(2**31))]),
    ("cpu", 2, 1, [("cpu.max", "100000 100000")]),
    ("cpu", 2, 0.5, [("cpu.max", "50000 100000")]),
    ("cpu", 2, "max", [("cpu.max", "max 100000")]),
    ("cpu", 1, 1.5, [("cpu.cfs_period_us", "100000"), ("cpu.cfs_quota_us", "150000")]),
    ("cpu", 1, "max", [("cpu.cfs_period_us", "100000"), ("cpu.cfs_quota_us", "-1")]),
    ("cpu", 1, 0.001, [("cpu.cfs_period_us", "100000"), ("cpu.cfs_quota_us", "1000")]),  # the kernel's least
])
def test_limit_files(controller, version, value, expected):
    assert limit_files(controller, version, value) == expected


def test_a_real_cgroup_caps_cpu():
    if "cpu" not in hierarchies():
        pytest.skip("no cpu cgroup controller here")
    group = Cgroup.create({"cpu": 1.5})
    if group is None or "cpu" not in group.folders:
        pytest.skip("this process may not create cpu cgroups (not root?)")
    try:
        folder = group.folders["cpu"]
        if os.path.exists(os.path.join(folder, "cpu.max")):
            assert open(os.path.join(folder, "cpu.max")).read().split() == ["150000", "100000"]
        else:
            assert open(os.path.join(folder, "cpu.cfs_quota_us")).read().strip() == "150000"
            assert open(os.path.join(folder, "cpu.cfs_period_us")).read().strip() == "100000"
    finally:
        group.remove()
    assert not os.path.exists(folder)


def test_a_user_who_is_not_root_makes_sandbox_cgroups_in_one_delegated_to_them():
    """cgroups v1: root makes a cgroup and gives `nobody` the folder, cgroup.procs and tasks; nobody's
    Cgroup.create(under=...) makes a capped cgroup there and a process of theirs joins it."""
    if os.geteuid() != 0 or not os.access(SYSTEM_PYTHON, os.X_OK):
        pytest.skip(f"root delegates the cgroup; nobody runs {SYSTEM_PYTHON}")
    found = {c: f for c, (f, version) in hierarchies().items() if version == 1}
    if "pids" not in found:
        pytest.skip("no cgroup v1 pids hierarchy here")
    name = f"delegated-{os.getpid()}"
    delegated = os.path.join(found["pids"], name)
    os.mkdir(delegated)
    code = tempfile.mkdtemp()  # readable by nobody, unlike the checkout and pytest's tmp_path
    try:
        for path in (delegated, os.path.join(delegated, "cgroup.procs"), os.path.join(delegated, "tasks")):
            os.chown(path, 65534, 65534)
        shutil.copy(cgroup.__file__, code)
        os.chmod(code, 0o755)
        script = ("import cgroup, json; g = cgroup.Cgroup.create({'pids': 7}, %r); g.join(); "
                  "print(json.dumps([g.folders['pids'], open('/proc/self/cgroup').read()])); g.remove()" % name)
        done = subprocess.run(["runuser", "-u", "nobody", "--", SYSTEM_PYTHON, "-I", "-c",
                               f"import sys; sys.path.insert(0, {code!r}); exec({script!r})"],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        folder, membership = json.loads(done.stdout)
        assert os.path.dirname(os.path.dirname(folder)) == delegated
        assert f"/{name}/{cgroup.BASE}/" in membership
    finally:
        shutil.rmtree(code)
        for path, _, _ in os.walk(delegated, topdown=False):
            os.rmdir(path)
