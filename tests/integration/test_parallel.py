"""Parallel autograde against plain serial `nbgrader autograde` on the same submissions."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nbgrader_sandbox import autograde as autograde_class, cgroup
from transformer_course import cli
from transformer_course.scoring import grade_rows as gradebook_rows
from transformer_course.simulation import classroom
from transformer_course.simulation.classroom import place_submission as submit

from conftest import make_course


def autograde(course, students=None, jobs=None):
    return autograde_class(course.config, course.assignment, students, jobs)


def grade_rows(course):
    with course.gradebook() as gradebook:
        return gradebook_rows(gradebook)

BROKEN, DIES = "sim-broken", "sim-kernel-dies"


def class_of(course, size=8):
    """A seeded class of `size` submissions, a notebook that is not JSON and one that kills its kernel."""
    reference = classroom.solutions(course)
    for student, bodies in classroom.roster(course, size).items():
        submit(course, student, bodies)
    submit(course, DIES, dict(reference, causal_mask="    import os\n    os._exit(3)"))
    submit(course, BROKEN, {}).joinpath(course.notebook("release").name).write_text("not a notebook")


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("serial"))
    class_of(course)
    nbgrader = Path(sys.executable).parent / "nbgrader"
    subprocess.run([nbgrader, "autograde", course.assignment], cwd=course.root, capture_output=True)
    return course


@pytest.fixture(scope="module")
def parallel(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("parallel"))
    class_of(course)
    return course, autograde(course, jobs=2)


def test_same_gradebook_as_serial_nbgrader(serial, parallel):
    course, _ = parallel
    rows = grade_rows(course)
    assert rows == grade_rows(serial)
    assert len({r[0] for r in rows}) == 10
    assert all(r[3] is not None for r in rows if r[0] not in (BROKEN, DIES))


def test_failing_submissions_do_not_stop_the_others(parallel):
    course, status = parallel
    assert "NotJSONError" in status.pop(BROKEN)
    # The sandbox's SafeExecute grades a notebook whose kernel dies, keeping the checks that ran.
    assert status == {s: None for s in course.submitted_students() if s != BROKEN}


def test_regrading_is_idempotent_and_the_command_reports_each_student(parallel, capsys):
    course, _ = parallel
    before = grade_rows(course)
    assert cli.main(["--course", str(course.root), "grade", "--jobs", "2"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "  sim-perfect: graded" in lines and any(l.startswith(f"  {BROKEN}: unreadable") for l in lines)
    assert grade_rows(course) == before


PLANT = """\
    import os, subprocess
    os.makedirs("/tmp/.ipython/profile_default/startup", exist_ok=True)
    with open("/tmp/.ipython/profile_default/startup/00-planted.py", "w") as f:
        f.write("import builtins; builtins.PLANTED = True")
    for path in ("/tmp/planted", "/dev/shm/planted", "/dev/planted"):
        try:
            open(path, "w").close()
        except OSError:  # /dev is read-only
            pass
    subprocess.Popen(["sleep", "600"], start_new_session=True)
"""
PROBE = """\
    import builtins, json, os, socket, time

    def sleeping(pid):
        try:
            return b"sleep" in open(f"/proc/{pid}/cmdline", "rb").read()
        except OSError:
            return False

    def network():
        try:
            socket.create_connection(("1.1.1.1", 80), timeout=2)
            return "reached"
        except OSError:
            return "blocked"

    files = ["/tmp/planted", "/dev/shm/planted", "/dev/planted", "/tmp/.ipython/profile_default/startup/00-planted.py"]
    limits = {line[:26].strip(): line[26:].split()[0] for line in open("/proc/self/limits").read().splitlines()}
    seen = {"startup": hasattr(builtins, "PLANTED"), "files": [p for p in files if os.path.exists(p)],
            "sleepers": [p for p in os.listdir("/proc") if p.isdigit() and sleeping(p)],
            "folders": len(os.listdir("..")), "network": network(),
            "limits": [limits[name] for name in ("Max address space", "Max cpu time", "Max file size")],
            "capabilities": open("/proc/self/status").read().split("CapEff:")[1].split()[0]}
    children = []
    try:
        for _ in range(200):
            pid = os.fork()
            if pid == 0:
                time.sleep(60)
                os._exit(0)
            children.append(pid)
    except OSError:  # the sandbox's cgroup is full
        pass
    for pid in children:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    seen["forks"] = len(children)
    with open("probe.json", "w") as f:
        json.dump(seen, f)
"""
FORK_BOMB = "    import os\n    while True:\n        os.fork()\n"
KILL_ZYGOTE = "    import os, signal, time\n    os.kill(os.getppid(), signal.SIGKILL)\n    time.sleep(60)\n"


def test_kernels_of_one_sandbox_never_meet(tmp_path):
    """One worker forks every kernel from one sandboxed zygote: a kernel has the sandbox's limits
    (and its cgroup's cap on tasks, where cgroups can be made), no network, no capabilities, and
    finds nothing that an earlier one left (files, IPython startup scripts, processes); one that
    kills the zygote only loses what os._exit would lose it."""
    course = make_course(tmp_path)
    reference = classroom.solutions(course)
    students = {"planter": dict(reference, head_dim=PLANT + reference["head_dim"]),
                "zygote-killer": dict(reference, causal_mask=KILL_ZYGOTE + reference["causal_mask"]),
                "exiter": dict(reference, causal_mask="    import os\n    os._exit(3)\n"),
                "prober": dict(reference, head_dim=PROBE + reference["head_dim"]),
                "perfect": reference}
    for student, bodies in students.items():
        submit(course, student, bodies)
    course.config.Sandbox.outputs = ["probe.json"]  # the only file of the kernel's folder kept
    assert autograde(course, list(students), jobs=1) == dict.fromkeys(students)

    probe = json.loads(course.path("autograded", "prober").joinpath("probe.json").read_text())
    forks = probe.pop("forks")
    # "folders": beside its working folder, only its own sockets' folder, no other kernel's
    assert forks < 128 if cgroup.available() else forks == 200  # tasks of the whole sandbox are capped
    assert probe == {
        "startup": False, "files": [], "sleepers": [], "folders": 2, "network": "blocked",
        "limits": [str(2**31), "600", str(2**28)], "capabilities": "0000000000000000"}
    totals = {}
    for student, _, _, score, _ in grade_rows(course):
        totals[student] = totals.get(student, 0) + score
    assert totals["planter"] == totals["prober"] == totals["perfect"] == 41
    assert totals["zygote-killer"] == totals["exiter"] < 41


@pytest.mark.skipif(not cgroup.available(), reason="no cgroups here: the sandbox cannot cap its tasks")
def test_fork_bomb_fills_only_its_own_cgroup(tmp_path, monkeypatch):
    """A fork bomb in a kernel forked by the sandboxed zygote stops at 64 tasks; the zygote wipes
    its processes and the next student of that worker is graded in full."""
    monkeypatch.setenv("COURSE_SANDBOX_PROCESSES", "64")  # read by the course's nbgrader_config.py
    course = make_course(tmp_path)
    reference = classroom.solutions(course)
    students = {"bomber": dict(reference, kv_cache_bytes=FORK_BOMB + reference["kv_cache_bytes"]),
                "perfect": reference}
    for student, bodies in students.items():
        submit(course, student, bodies)
    assert autograde(course, list(students), jobs=1) == dict.fromkeys(students)
    totals = {}
    for student, _, _, score, _ in grade_rows(course):
        totals[student] = totals.get(student, 0) + score
    assert totals["perfect"] == 41 and 41 - 14 <= totals["bomber"] <= 41 - 3  # exercise 8 lost, 1-7 kept
