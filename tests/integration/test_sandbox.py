"""Autograde hostile and faulty submissions with real nbgrader in a scratch course.

One honest student scores full marks (41); the others attack the grader or break their kernel.
"""
import hashlib
import json
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbgrader_sandbox import cgroup
from nbgrader_sandbox.execute import TRUNCATED, SafeExecute
from nbgrader_sandbox.launcher import KERNEL_NAME
from jupyter_client.kernelspec import KernelSpecManager
from traitlets.config.loader import PyFileConfigLoader

from transformer_course import ASSIGNMENT, EXERCISES, NOTEBOOK, cli
from transformer_course.course import ROOT, Course, CourseError

from conftest import make_course

FULL = 41
POINTS = dict(zip(EXERCISES, [5, 3, 4, 3, 3, 5, 4, 3, 4, 7]))
TIMEOUT = 3


def _solutions():
    nb = nbformat.read(ROOT / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    return {cell.metadata.nbgrader["grade_id"]: re.sub(r"\s*### (BEGIN|END) SOLUTION", "", cell.source)
            for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("solution")}


SOLUTIONS = _solutions()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A scratch course with the assignment generated."""
    return make_course(tmp_path_factory.mktemp("course")).root


def _api(root, timeout=TIMEOUT, **sandbox):
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    config.Execute.timeout = timeout
    config.SafeExecute.notebook_timeout = sandbox.pop("notebook_timeout", 600)
    config.Sandbox.update(sandbox)
    return NbGraderAPI(CourseDirectory(config=config), config=config)


def submit(root, student, files=None, **answers):
    """Put the released notebook with the solutions, some replaced by answers, and files in submitted/."""
    nb = nbformat.read(root / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers.get(grade_id, SOLUTIONS[grade_id])
    folder = root / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{NOTEBOOK}.ipynb")
    for name, text in (files or {}).items():
        (folder / name).write_text(text)


def autograde(root, student, timeout=TIMEOUT, **sandbox):
    """Autograde one student; return (scores by exercise, total, autograded notebook)."""
    start = time.monotonic()
    result = _api(root, timeout, **sandbox).autograde(ASSIGNMENT, student)
    print(f"autograde {student}: {time.monotonic() - start:.1f} s")
    assert result["success"], result["log"] + str(result.get("error"))
    api = _api(root)
    total = api.get_student_submissions(student)[0]["score"]
    nb = nbformat.read(root / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    scores = dict.fromkeys(EXERCISES, 0.0)
    with api.gradebook as gb:
        for grade in gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student).grades:
            exercise = next(e for e in EXERCISES if grade.name.startswith(e))
            scores[exercise] += grade.score
    return scores, total, nb


def answer_output(nb, grade_id):
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return "".join(o.get("text", "") for o in cell.outputs)


@pytest.fixture(scope="module")
def honest(course):
    submit(course, "honest")
    return autograde(course, "honest")


def test_honest_student_gets_full_marks(honest):
    scores, total, nb = honest
    assert total == FULL and scores == POINTS
    assert nb.metadata.kernelspec.name == "python3"  # the sandbox is the grader's choice, not the notebook's


PROBES = '''
import json, os, socket
_probes = {{}}
def _probe(name, f):
    try:
        _probes[name] = "SEEN " + repr(f())[:60]
    except BaseException as e:
        _probes[name] = "BLOCKED " + type(e).__name__
_probe("gradebook", lambda: open({course!r} + "/gradebook.db", "rb").read(16))
_probe("gradebook_relative", lambda: open("../../../gradebook.db", "rb").read(16))
_probe("gradebook_write", lambda: open({course!r} + "/gradebook.db", "r+b").write(b"PWNED"))
_probe("source", lambda: os.listdir("../../../source"))
_probe("source_write", lambda: open({source!r}, "r+").write("PWNED"))
_probe("other_student", lambda: os.listdir("../../honest"))
_probe("home", lambda: sorted(set(os.listdir({home!r})) & {home_entries!r}))
_probe("secret_env", lambda: os.environ["COURSE_SECRET"])
_probe("etc_shadow", lambda: open("/etc/shadow").read(1))
_probe("capabilities", lambda: open("/proc/self/status").read().split("CapEff:")[1].split()[0])
_probe("network_grader", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=2))
_probe("network_internet", lambda: socket.create_connection(("1.1.1.1", 80), timeout=2))
_probe("memory_3GB", lambda: len(bytearray(3 * 2**30)))
_probe("workdir_write", lambda: open("scratch.txt", "w").write("ok"))
_probe("dev_write", lambda: open("/dev/planted", "w"))
_probe("tmp_fill", lambda: [open(f"/tmp/fill{{i}}", "wb").write(bytes(200 * 2**20)) for i in range(2)])
print(json.dumps(_probes))
'''


# A module beside the notebook that shadows the standard library: it must only ever run in the
# sandbox, where the course folder is out of reach, never in the kernel launcher outside it.
SHADOW = '''
import os, sys
try:
    open({mark!r}, "w").write(str(os.getpid()))
except OSError:
    pass
del sys.modules["shutil"]
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
import shutil
'''


def _digest(root):
    paths = [root / "gradebook.db", *sorted(p for p in (root / "source").rglob("*") if p.is_file())]
    return hashlib.sha256(b"".join(p.read_bytes() for p in paths)).hexdigest()


def test_hostile_submission_sees_nothing_and_changes_nothing(course, honest, monkeypatch):
    """Gradebook, source/, other students, home, secrets and network are out of reach; 3 GB of
    memory, 400 MB in /tmp and writing to /dev fail."""
    home = Path.home()
    python = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix)}
    home_entries = {p.name for p in home.iterdir() if not any(p in q.parents or p == q for q in python)}
    grader = socket.create_server(("127.0.0.1", 0))
    source = course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    probes = PROBES.format(course=str(course), source=str(source), home=str(home), home_entries=home_entries,
                           port=grader.getsockname()[1])
    shadow = SHADOW.format(mark=str(course / "PWNED"))
    answer = probes + SOLUTIONS["attention_weights"]
    submit(course, "hostile", files={"shutil.py": shadow}, attention_weights=answer)
    monkeypatch.setenv("COURSE_SECRET", "hunter2")

    digests = []
    original = SafeExecute.preprocess

    def preprocess(self, nb, resources=None, km=None):
        digests.append(_digest(course))
        try:
            return original(self, nb, resources, km)
        finally:
            digests.append(_digest(course))

    monkeypatch.setattr(SafeExecute, "preprocess", preprocess)
    with grader:
        scores, total, nb = autograde(course, "hostile")

    assert len(digests) == 2 and digests[0] == digests[1]
    assert not (course / "PWNED").exists()
    probes = json.loads(answer_output(nb, "attention_weights"))
    print(probes)
    assert probes.pop("home") in ("SEEN []", "BLOCKED FileNotFoundError")
    assert probes.pop("workdir_write") == "SEEN 2"
    assert probes.pop("capabilities") == "SEEN '0000000000000000'"
    assert all(result.startswith("BLOCKED") for result in probes.values()), probes
    assert probes["network_grader"] == "BLOCKED ConnectionRefusedError"
    assert probes["memory_3GB"] == "BLOCKED MemoryError"
    assert probes["dev_write"] == probes["tmp_fill"] == "BLOCKED OSError"  # read-only /dev; 256 MiB /tmp
    assert not (course / "autograded" / "hostile" / ASSIGNMENT / "scratch.txt").exists()  # not an output
    assert total == FULL and scores == POINTS


def _outputs(nb, prefix):
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith(prefix)]
    return [o for c in cells if c.cell_type == "code" for o in c.outputs]


def _expected(**lost):
    return {e: 0.0 if e in lost else float(p) for e, p in POINTS.items()}


def test_infinite_loop_loses_only_that_exercise(course, honest):
    """Each check that calls the looping kv_cache_bytes times out, is interrupted, and the rest runs."""
    submit(course, "looper", kv_cache_bytes="def kv_cache_bytes(*args):\n    while True:\n        pass\n")
    scores, total, nb = autograde(course, "looper")
    assert scores == _expected(kv_cache_bytes=True) and total == FULL - POINTS["kv_cache_bytes"]
    errors = [o.ename for o in _outputs(nb, "kv_cache_bytes_") if o.output_type == "error"]
    assert errors.count("CellTimeoutError") == 2, errors


def test_kernel_ignoring_interrupts_keeps_earlier_credit(course, honest):
    """A loop that ignores SIGINT cannot be interrupted: the kernel is given up, earlier checks count."""
    stubborn = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n"
    submit(course, "stubborn", head_dim=stubborn)
    scores, total, nb = autograde(course, "stubborn")
    assert scores == _expected(**{e: True for e in EXERCISES[2:]})
    assert total == POINTS["attention_weights"] + POINTS["causal_mask"]
    assert [o.ename for o in _outputs(nb, "decoder_mask_hidden")] == ["KernelDied"]


@pytest.mark.parametrize("student, exercise, answer, options", [
    ("quitter", "mlp_params", "import os\nos._exit(1)\n", {}),  # the kernel exits
    ("crasher", "layer_norm", "import ctypes\nctypes.string_at(0)\n", {}),  # a segfault
    ("burner", "kv_cache_bytes", "while True:\n    pass\n", {"timeout": 60, "cpu_limit": 6}),  # SIGXCPU
], ids=["os._exit", "segfault", "cpu-limit"])
def test_dead_kernel_keeps_earlier_credit(course, honest, student, exercise, answer, options):
    """A kernel that dies in an exercise's answer cell: the exercises before it keep their points,
    that one and every later one score 0, and the student is graded."""
    submit(course, student, **{exercise: answer})
    scores, total, nb = autograde(course, student, **options)
    lost = EXERCISES[EXERCISES.index(exercise):]
    assert scores == _expected(**dict.fromkeys(lost, True))
    assert total == sum(POINTS[e] for e in EXERCISES if e not in lost)
    assert [o.ename for o in _outputs(nb, exercise) if o.output_type == "error"][0] == "DeadKernelError"


def test_notebook_time_limit_keeps_earlier_credit(course, honest):
    """A slow answer uses up an 8 s notebook limit: later cells are not run, earlier checks count."""
    submit(course, "slow", head_dim="import time\ntime.sleep(10)\n" + SOLUTIONS["head_dim"])
    scores, total, nb = autograde(course, "slow", timeout=15, notebook_timeout=8)
    assert scores == _expected(**{e: True for e in EXERCISES[2:]}) and total == 8
    assert "past its limit of 8 s" in _outputs(nb, "head_dim_example")[0].evalue


def test_huge_output_is_truncated(course, honest):
    """A 10-million-character line and result are cut to max_output_chars; later prints are dropped."""
    chatty = "print('x' * 10**7)\nprint('more')\n" + SOLUTIONS["causal_mask"] + "\n'y' * 10**7\n"
    submit(course, "chatty", causal_mask=chatty)
    scores, total, nb = autograde(course, "chatty")
    assert total == FULL
    limit = SafeExecute.max_output_chars.default_value
    assert answer_output(nb, "causal_mask") == "x" * limit + TRUNCATED
    (result,) = [o for o in _outputs(nb, "causal_mask") if o.output_type == "execute_result"]
    assert result.data["text/plain"] == "'" + "y" * (limit - 1) + TRUNCATED


def test_opt_out_runs_unconfined(course, honest, monkeypatch):
    """COURSE_SANDBOX=off grades with the plain kernel, which sees the course folder."""
    monkeypatch.setenv("COURSE_SANDBOX", "off")
    peek = f"import os\nprint(os.path.exists({str(course / 'gradebook.db')!r}))\n"
    submit(course, "unconfined", attention_weights=peek + SOLUTIONS["attention_weights"])
    scores, total, nb = autograde(course, "unconfined")
    assert total == FULL and answer_output(nb, "attention_weights") == "True\n"


@pytest.mark.parametrize("bwrap, message", [
    ("/nonexistent/bwrap", "bubblewrap ('/nonexistent/bwrap') is not installed"),
    ("false", "bubblewrap cannot create the sandbox"),
])
def test_unusable_bwrap_is_an_error(course, honest, bwrap, message):
    """No silent fallback: the submission is not graded and the log says why."""
    student = f"nobwrap-{Path(bwrap).name}"
    submit(course, student)
    result = _api(course, bwrap=bwrap).autograde(ASSIGNMENT, student)
    assert not result["success"] and message in result["log"]
    assert not (course / "autograded" / student / ASSIGNMENT).exists()


def test_bad_opt_out_value_is_an_error(course, monkeypatch):
    monkeypatch.setenv("COURSE_SANDBOX", "maybe")
    with pytest.raises(CourseError, match="COURSE_SANDBOX must be 'on' or 'off', not 'maybe'"):
        Course(course)


def test_a_deleted_course_copy_breaks_no_other_course(tmp_path):
    """The sandboxed kernelspec names the installed engine: grading from a copy of the course (its
    own transformer_course first on sys.path), then deleting that copy, leaves every other course
    of the environment gradable."""
    copy, other = (make_course(tmp_path / name) for name in ("copy", "other"))
    shutil.copytree(ROOT / "transformer_course", copy.root / "transformer_course",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for course in (copy, other):
        submit(course.root, "honest")
    done = subprocess.run([sys.executable, "-m", "transformer_course", "--course", str(copy.root), "--quiet",
                           "grade"], cwd=copy.root, capture_output=True, text=True)
    assert done.returncode == 0 and "honest: graded" in done.stdout, done.stdout + done.stderr
    shutil.rmtree(copy.root)
    spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    assert str(copy.root) not in " ".join(spec.argv) and spec.argv[1:4] == ["-I", "-m", "nbgrader_sandbox.launcher"]
    assert cli.main(["--course", str(other.root), "--quiet", "grade"]) == 0
    assert autograde_total(other.root, "honest") == FULL


def autograde_total(root, student):
    return _api(root).get_student_submissions(student)[0]["score"]


@pytest.mark.skipif(not cgroup.available(), reason="no cgroups here: the sandbox cannot cap its tasks")
def test_fork_bomb_fills_only_its_own_cgroup(course, honest):
    """A fork bomb in exercise 8 stops at the sandbox's 64 tasks; exercises 1-7 keep their points.

    What later cells score depends on what the bomb's children (copies of the kernel) do."""
    submit(course, "bomber", kv_cache_bytes="import os\nwhile True:\n    os.fork()\n")
    scores, total, nb = autograde(course, "bomber", process_limit=64)
    assert [scores[e] for e in EXERCISES[:8]] == [*map(float, list(POINTS.values())[:7]), 0.0]


HOGS = """import subprocess, sys
hog = "import time, numpy; hog = numpy.ones(1200 * 2**20 // 8); time.sleep(1)"  # 1.2 GiB: under one's cap
hogs = [subprocess.Popen([sys.executable, "-c", hog]) for _ in range(3)]
print(sorted(h.wait() for h in hogs))
"""


@pytest.mark.skipif(not cgroup.available(), reason="no cgroups here: the sandbox cannot cap its memory")
def test_memory_of_all_processes_together_is_capped(course, honest):
    """Three 1.2 GiB children pass each one's rlimit but not the sandbox's 2.5 GiB cgroup: some are
    killed, the kernel lives on and the student keeps full marks."""
    submit(course, "hoarder", attention_weights=HOGS + SOLUTIONS["attention_weights"])
    scores, total, nb = autograde(course, "hoarder", timeout=60)
    codes = json.loads(answer_output(nb, "attention_weights"))
    assert -9 in codes and 0 in codes  # the OOM killer ends one or two; the last one finishes
    assert total == FULL
