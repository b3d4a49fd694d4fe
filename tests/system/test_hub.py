"""A class on the real JupyterHub, driven in headless Chromium: two students and an instructor,
with the proxy killed and the hub restarted mid-class, and a student taken off the roster. A third
student, through their own server's nbgrader handlers (the Assignment List's requests), meets the
exchange's faults: two submissions at the moment of a collect, a fetched notebook deleted and
fetched again; their server's cgroup holds the hub's caps.

The hub, its proxy (configurable-http-proxy), each user's JupyterLab and the formgrader service
run for real on free loopback ports, as real Unix accounts that the fixture creates (names with a
random prefix) and removes. Needs root, /usr/bin/python3 and the proxy (`make system`); skipped
with the reason otherwise. Screenshots go to $BROWSER_SCREENSHOTS/<test> (default: tmp).
"""
import csv
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
import requests
from playwright.sync_api import Error as PlaywrightError, expect

from nbgrader_sandbox import cgroup
from transformer_course import ASSIGNMENT, NOTEBOOK, hub
from transformer_course.lab import free_port

from test_browser import ATTENTION_OK, SLOW, browser, close_log, menu, screenshot_folder, write_cell  # noqa: F401

COURSE = "transformer-math"
START = 180_000  # ms: a user's server starting on a loaded machine
ATTENTION_UNSCALED = """def attention_weights(q, K):
    q, K = np.asarray(q, dtype=float), np.asarray(K, dtype=float)
    scores = q @ K.T
    w = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return w / w.sum(axis=-1, keepdims=True)
"""

if os.geteuid() != 0:
    pytest.skip("the hub test creates Unix accounts and runs servers as them: it needs root",
                allow_module_level=True)
if not hub.PROXY.exists() or not os.access(hub.SYSTEM_PYTHON, os.X_OK):
    pytest.skip(f"needs {hub.SYSTEM_PYTHON} and {hub.PROXY} (make system)", allow_module_level=True)

pytestmark = pytest.mark.xdist_group("hub")


def write_roster(path, students):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "first name", "last name", "email"])
        for n, name in enumerate(students):
            writer.writerow([name, f"Student{n}", "Test", f"{name}@example.org"])
    return path


@pytest.fixture(scope="module")
def deployment():
    """A prepared and running class hub: (Hub, {role: [accounts]}, password), always torn down."""
    prefix = f"t{secrets.token_hex(3)}"
    users = {"students": [f"{prefix}a", f"{prefix}b", f"{prefix}c"], "instructors": [f"{prefix}i"]}
    base = Path(tempfile.mkdtemp(prefix="hub-test-"))
    base.chmod(0o755)
    settings = hub.Settings(course_id=COURSE, course=str(base / "course"), grader=f"{prefix}g",
                            exchange=str(base / "exchange"), state=str(base / "state"),
                            hub_port=free_port(), proxy_api_port=free_port(), service_port=free_port())
    roster = write_roster(base / "roster.csv", users["students"])
    password = secrets.token_urlsafe(12)
    server = None
    try:
        hub.prepare(settings, roster=roster, instructors=users["instructors"])
        subprocess.run(["chpasswd"], input="".join(f"{u}:{password}\n" for u in sum(users.values(), [])),
                       text=True, check=True)
        hub.grader(settings, "release")
        server = hub.start(settings, port=free_port(), timeout=180)
        yield server, users, password
    finally:
        if server is not None:
            hub.stop(server)
            print(f"the hub's log ends:\n{hub.hub_log(settings)}")  # shown if the test failed
        accounts = [*sum(users.values(), []), settings.grader]
        hub.stop_processes(accounts)
        hub.remove_cgroup(settings)
        for name in accounts:
            if hub.account(name):
                subprocess.run(["userdel", "--remove", name], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def shots(request, tmp_path):
    """shots(page, name) saves a numbered screenshot in the test's screenshot folder."""
    folder = screenshot_folder(request, tmp_path)
    count = iter(range(1, 200))

    def save(page, name):
        page.screenshot(path=folder / f"{next(count):02d}-{name}.png")
    return save


def log_in(chromium, server, user, password, shots):
    """A browser context logged in to the hub as `user`, their JupyterLab open."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{server.url}hub/login")
    page.locator("#username_input").fill(user)
    page.locator("#password_input").fill(password)
    shots(page, f"{user}-login")
    page.locator("#login_submit").click()
    expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=START)
    assert f"/user/{user}/lab" in page.url
    return page


def answer_and_submit(page, user, code, mistake, shots):
    """Fetch from the Assignment List, answer exercise 1 with `code`, run, Validate, submit."""
    menu(page, "Nbgrader")
    expect(page.locator(".lm-Menu")).to_have_text("Assignment List")  # no Formgrader, no Course List
    page.keyboard.press("Escape")
    menu(page, "Nbgrader", "Assignment List")
    released = page.locator("#released_assignments_list")
    expect(released).to_contain_text(ASSIGNMENT, timeout=SLOW)
    expect(released).to_contain_text(COURSE)
    shots(page, f"{user}-assignment-list")
    released.get_by_role("button", name="Fetch").click()
    fetched = page.locator("#fetched_assignments_list")
    expect(fetched).to_contain_text(ASSIGNMENT)
    shots(page, f"{user}-fetched")

    fetched.get_by_text(ASSIGNMENT).click()
    fetched.get_by_role("link", name=NOTEBOOK).click()
    expect(page.locator(".jp-Notebook-ExecutionIndicator")).to_have_attribute(
        "data-status", "idle", timeout=SLOW)
    write_cell(page, "def attention_weights", code)
    menu(page, "Run", "Run All Cells")
    example = page.locator(".jp-CodeCell", has_text="attention_weights([1.0, 0.0]")
    expect(example.locator(".jp-OutputArea")).not_to_be_empty(timeout=SLOW)
    shots(page, f"{user}-ran-cells")
    page.keyboard.press("Control+S")
    expect(page.locator(".jp-mod-dirty")).to_have_count(0)

    page.locator(".jp-ToolbarButtonComponent", has_text="Validate").click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Validation Results", timeout=SLOW)
    if mistake:
        expect(dialog).to_contain_text("CheckFailed: attention_weights")
        expect(dialog).to_contain_text(mistake)
    else:
        expect(dialog).not_to_contain_text("CheckFailed: attention_weights")
    shots(page, f"{user}-validate")
    dialog.get_by_role("button", name="Ok").click()

    menu(page, "Nbgrader", "Assignment List")
    fetched.get_by_role("button", name="Submit").click()
    submitted = page.locator("#submitted_assignments_list")
    expect(submitted).to_contain_text(ASSIGNMENT, timeout=SLOW)
    expect(submitted).to_contain_text(" UTC")
    shots(page, f"{user}-submitted")


def server_pids(user):
    """The process ids of the user's JupyterLab server."""
    uid = hub.account(user).pw_uid
    return {p.pid for p in psutil.process_iter(["uids", "cmdline"])
            if p.info["uids"] and p.info["uids"].real == uid and "jupyterhub-singleuser" in " ".join(p.info["cmdline"] or [])}


def reopen_lab(page, server, user):
    """Open the user's JupyterLab again, waiting while the proxy or the hub comes back (until its
    routes are back, the page may be the hub's 404: load it again)."""
    deadline = time.monotonic() + 240
    while True:
        try:
            page.goto(f"{server.url}user/{user}/lab")
            expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=45_000)
            return
        except (AssertionError, PlaywrightError):
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def test_class_on_the_hub(deployment, browser, shots):  # noqa: F811
    server, users, password = deployment
    settings = server.settings
    alice, bob, carol = users["students"]  # carol meets the exchange's faults (tests below)
    instructor = users["instructors"][0]
    home = {name: Path(hub.account(name).pw_dir) for name in [alice, bob]}

    # Two students log in, fetch, answer (one right, one with a mistake), Validate, submit.
    pages = {alice: log_in(browser, server, alice, password, shots)}
    answer_and_submit(pages[alice], alice, ATTENTION_OK, None, shots)
    pages[bob] = log_in(browser, server, bob, password, shots)
    answer_and_submit(pages[bob], bob, ATTENTION_UNSCALED, "unscaled", shots)
    assert (home[alice] / COURSE / ASSIGNMENT / f"{NOTEBOOK}.ipynb").stat().st_uid == hub.account(alice).pw_uid

    # A student reaches neither another student's server or files nor the formgrader.
    page = pages[alice]
    for path in [f"user/{bob}/lab", f"user/{bob}/files/{COURSE}/{ASSIGNMENT}/{NOTEBOOK}.ipynb",
                 f"user/{bob}/api/contents/{COURSE}", f"services/{COURSE}/formgrader"]:
        response = page.goto(f"{server.url}{path}")
        assert response.status in (403, 404), (path, response.status, page.url)
        shots(page, f"{alice}-refused-{path.split('/')[0]}-{path.split('/')[2]}")
    # ... nor, on the machine, another's home folder, the exchange's inbound/ or outbound/.
    exchange = Path(settings.exchange) / COURSE
    for command in [["ls", home[bob]], ["ls", exchange / "inbound"],
                    ["touch", exchange / "outbound" / ASSIGNMENT / "planted"]]:
        done = subprocess.run(["runuser", "-u", alice, "--", *map(str, command)], capture_output=True, text=True)
        assert done.returncode != 0 and "Permission denied" in done.stderr, (command, done)

    # Faults mid-class: the proxy dies, then the hub restarts. The students' servers run on (the
    # same processes), are reached again with the same sessions, and nothing submitted is lost.
    servers = {name: server_pids(name) for name in (alice, bob)}
    assert all(servers.values()), servers
    os.kill(int((settings.private / "proxy.pid").read_text()), signal.SIGKILL)
    reopen_lab(pages[alice], server, alice)
    shots(pages[alice], f"{alice}-after-proxy-restart")
    hub.restart(server, timeout=180)
    for name in (alice, bob):
        reopen_lab(pages[name], server, name)
        assert server_pids(name) == servers[name]
    menu(pages[bob], "Nbgrader", "Assignment List")
    expect(pages[bob].locator("#submitted_assignments_list")).to_contain_text(ASSIGNMENT, timeout=SLOW)
    shots(pages[bob], f"{bob}-after-hub-restart")
    assert len(list((exchange / "inbound").iterdir())) == 2

    # The instructor logs in, opens formgrader in a tab of its own, collects, autogrades, and
    # generates and releases feedback.
    teacher = log_in(browser, server, instructor, password, shots)
    menu(teacher, "Nbgrader")
    expect(teacher.locator(".lm-Menu")).not_to_contain_text("Assignment List")
    teacher.keyboard.press("Escape")
    grader = teacher.context.new_page()
    grader.goto(f"{server.url}services/{COURSE}/formgrader")
    row = grader.locator("tr", has_text=ASSIGNMENT)
    expect(row).to_contain_text("released", timeout=SLOW)
    shots(grader, "formgrader")
    row.locator(".collect a").click()
    close_log(grader, "Successfully collected")
    expect(row.locator(".num-submissions")).to_have_text("2")
    shots(grader, "collected")

    row.locator(".num-submissions a").click()
    scores = {}
    for name in (alice, bob):
        submission = grader.locator("tr", has_text=name)
        expect(submission).to_contain_text("needs autograding")
        submission.locator(".autograde a").click()
        close_log(grader, "Successfully autograded")
        expect(submission.locator(".status")).to_have_text("graded")
        scores[name] = submission.locator(".score").inner_text()
    assert scores[alice] == "5 / 41", scores  # exercise 1: 1 + 2 + 2
    assert float(scores[bob].split("/")[0]) < 5, scores
    shots(grader, "autograded")

    grader.goto(f"{server.url}services/{COURSE}/formgrader")
    row = grader.locator("tr", has_text=ASSIGNMENT)
    row.locator(".generate-feedback a").click()
    close_log(grader, "Successfully generated feedback")
    row.locator(".release-feedback a").click()
    close_log(grader, "Successfully released feedback")
    shots(grader, "feedback-released")

    # The student with the mistake fetches the feedback: their score and the explanation.
    page = pages[bob]
    menu(page, "Nbgrader", "Assignment List")
    page.locator("#refresh_assignments_list").click()
    submitted = page.locator("#submitted_assignments_list")
    expect(submitted).to_contain_text("feedback available to fetch", timeout=SLOW)
    submitted.get_by_role("button", name="Fetch Feedback").click()
    expect(submitted).to_contain_text("view feedback", timeout=SLOW)
    shots(page, f"{bob}-feedback-fetched")
    feedback = sorted((home[bob] / COURSE / ASSIGNMENT / "feedback").glob(f"*/{NOTEBOOK}.html"))
    assert len(feedback) == 1, feedback
    relative = feedback[0].relative_to(home[bob])
    page.goto(f"{server.url}user/{bob}/files/{relative}")
    expect(page.locator("body")).to_contain_text(re.compile(r"Score: \d+(\.\d+)? / 41"))
    expect(page.locator("body")).to_contain_text("unscaled")
    expect(page.locator("body")).not_to_contain_text("BEGIN HIDDEN TESTS")
    page.get_by_text("unscaled").first.scroll_into_view_if_needed()
    shots(page, f"{bob}-feedback")

    # The grader account exports the grades of the same course: both students are there.
    hub.grader(settings, "export")
    with open(Path(settings.course) / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    assert {alice, bob} <= set(rows), rows
    assert float(rows[alice]["score"]) == 5.0

    # The second student leaves the roster mid-term: no more access, their files stay.
    write_roster(Path(settings.state).parent / "roster-after.csv", [alice, carol])
    added, removed = hub.prepare(settings, roster=Path(settings.state).parent / "roster-after.csv")
    assert (added, removed) == ([], [bob])
    assert hub.update_running_hub(settings, added, removed)
    assert (home[bob] / COURSE / ASSIGNMENT / f"{NOTEBOOK}.ipynb").is_file()
    page = pages[bob]
    page.goto(f"{server.url}user/{bob}/lab")
    expect(page.locator("#username_input")).to_be_visible()  # the old session is gone
    page.locator("#username_input").fill(bob)
    page.locator("#password_input").fill(password)
    page.locator("#login_submit").click()
    expect(page.locator(".login_error, .alert-danger").first).to_contain_text("Invalid username or password")
    shots(page, f"{bob}-removed-login-refused")


class Student:
    """A student's browser without the browser: logged in through the hub's login form, their
    server started through the hub's REST API, and the requests of the Assignment List and the
    file browser (as benchmarks/hub.py)."""

    def __init__(self, server, name, password):
        self.url, self.name = server.url, name
        self.http = requests.Session()
        self.http.get(f"{self.url}hub/login", timeout=60).raise_for_status()
        done = self.http.post(f"{self.url}hub/login", allow_redirects=False, timeout=60,
                              data={"username": name, "password": password, "_xsrf": self.xsrf("/hub/")})
        assert done.status_code == 302, (done.status_code, done.text[:300])
        api = f"{self.url}hub/api/users/{name}"
        headers = {"X-XSRFToken": self.xsrf("/hub/")}
        if not self.http.get(api, headers=headers, timeout=60).json()["servers"].get("", {}).get("ready"):
            self.http.post(f"{api}/server", headers=headers, timeout=60).raise_for_status()
            deadline = time.monotonic() + START / 1000
            while not self.http.get(api, headers=headers, timeout=60).json()["servers"].get("", {}).get("ready"):
                assert time.monotonic() < deadline, f"server of {name} not ready"
                time.sleep(1)
        self.http.get(f"{self.url}user/{name}/lab", timeout=60).raise_for_status()  # the server's login

    def xsrf(self, path):
        return self.http.cookies.get("_xsrf", path=path) or ""

    def request(self, method, path, **kwargs):
        prefix = f"/user/{self.name}/"
        response = self.http.request(method, f"{self.url}{prefix[1:]}{path}", timeout=120,
                                     headers={"X-XSRFToken": self.xsrf(prefix)}, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def assignments(self, action):
        """POST assignments/<action> (fetch, submit) as the Assignment List does: the listing after
        it, or for a failed submit nbgrader's error."""
        return self.request("POST", f"assignments/{action}", data={"course_id": COURSE, "assignment_id": ASSIGNMENT})

    def status(self, listing):
        return {a["status"] for a in listing["value"] if a["assignment_id"] == ASSIGNMENT}


@pytest.fixture(scope="module")
def carol(deployment):
    """The third student, logged in, their server running: (Student, home folder)."""
    server, users, password = deployment
    name = users["students"][2]
    return Student(server, name, password), Path(hub.account(name).pw_dir)


def server_log(settings):
    """The hub's log, where the users' servers write theirs."""
    return (settings.private / "jupyterhub.log").read_text(errors="replace")


GRADER_SANDBOX_CGROUP = """
import json
from nbgrader.apps.baseapp import NbGrader
from nbgrader_sandbox.sandbox import Sandbox
app = NbGrader()
app.initialize([])  # the course's configuration and the grader's, as autograde reads them
sandbox = Sandbox(config=app.config)
group = sandbox.cgroup()
print(json.dumps(group and [group.folders, open(group.folders["pids"] + "/pids.max").read().strip(),
                            sandbox.process_limit]))
group and group.remove()
"""


def test_a_student_server_and_the_grader_sandboxes_are_capped(deployment, carol):
    server, _, _ = deployment
    student, _ = carol
    s = server.settings
    if not cgroup.available():
        pytest.skip("no writable cgroups here: the servers run uncapped")
    pid = min(server_pids(student.name))
    found = cgroup.hierarchies(cgroup_file=f"/proc/{pid}/cgroup")
    for controller in ("pids", "memory", "cpu"):
        if controller not in found:
            continue  # a controller this machine lacks
        folder, version = found[controller]
        assert Path(folder).parent.name == cgroup.BASE, (controller, folder)  # the server's own cgroup
        limit = {"pids": s.task_limit, "memory": s.memory_limit, "cpu": s.cpu_limit}[controller]
        for name, text in cgroup.limit_files(controller, version, limit):
            assert (Path(folder) / name).read_text().strip() == text, (folder, name)
    assert "cpu" in found, "no cpu cgroup controller: CPU not capped"

    # The grader is not root: its sandboxes make their cgroups in the one the hub delegated to it.
    if not any(version == 1 for _, version in cgroup.hierarchies().values()):
        pytest.skip("cgroups v2: no cgroup is delegated to the grader (README)")
    assert s.grader_cgroup == s.grader
    environment = [f"{k}={v}" for k, v in s.server_environment("grader", s.grader_home).items()]
    made = json.loads(hub.run("env", *environment, f"{s.env}/bin/python", "-c", GRADER_SANDBOX_CGROUP,
                              user=s.grader, cwd=s.course))
    assert made, "the grader's sandbox made no cgroup"
    folders, tasks, process_limit = made
    assert tasks == str(process_limit)
    for controller, folder in folders.items():
        assert Path(folder).parent.parent.name == s.grader_cgroup, folder


def test_a_student_deletes_the_fetched_notebook_and_fetches_again(deployment, carol):
    server, _, _ = deployment
    student, home = carol
    settings = server.settings
    folder = f"{COURSE}/{ASSIGNMENT}"
    notebook = home / folder / f"{NOTEBOOK}.ipynb"
    released = (Path(settings.exchange) / COURSE / "outbound" / ASSIGNMENT / f"{NOTEBOOK}.ipynb").read_bytes()
    refused = "ServerApp] You already have a copy of the assignment in this directory"  # a line each
    if not notebook.exists():
        assert "fetched" in student.status(student.assignments("fetch"))
    # The student's work, saved through the contents API as JupyterLab does.
    model = student.request("GET", f"api/contents/{folder}/{NOTEBOOK}.ipynb")
    model["content"]["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "my own work"})
    student.request("PUT", f"api/contents/{folder}/{NOTEBOOK}.ipynb",
                    json={"type": "notebook", "format": "json", "content": model["content"]})
    work = notebook.read_bytes()
    assert b"my own work" in work

    # Fetching again while the copy is there: nbgrader refuses (the handler answers with the
    # listing; nbgrader's message goes to the server's log) and the work is untouched.
    seen = server_log(settings).count(refused)
    assert "fetched" in student.status(student.assignments("fetch"))
    assert notebook.read_bytes() == work
    assert server_log(settings).count(refused) == seen + 1

    # The notebook deleted, its folder left: still refused (nbgrader checks the folder), nothing back.
    student.request("DELETE", f"api/contents/{folder}/{NOTEBOOK}.ipynb")
    student.assignments("fetch")
    assert not notebook.exists()
    assert server_log(settings).count(refused) == seen + 2

    # The folder deleted too (the file browser's Delete): the next fetch gives a fresh copy of the
    # released notebook, the student's.
    student.request("DELETE", f"api/contents/{folder}")
    assert not notebook.parent.exists()
    assert "fetched" in student.status(student.assignments("fetch"))
    assert notebook.read_bytes() == released
    assert notebook.stat().st_uid == hub.account(student.name).pw_uid


def test_two_submissions_at_the_moment_of_a_collect(deployment, carol):
    server, _, _ = deployment
    student, home = carol
    settings = server.settings
    inbound = Path(settings.exchange) / COURSE / "inbound"
    submitted = Path(settings.course) / "submitted" / student.name / ASSIGNMENT
    if not (home / COURSE / ASSIGNMENT / f"{NOTEBOOK}.ipynb").exists():
        student.assignments("fetch")
    # A second submission from a terminal of the student's server (its environment, as the student),
    # at the same moment as one from the Assignment List, and the grader's collect.
    environ = Path(f"/proc/{min(server_pids(student.name))}/environ").read_bytes().decode().split("\0")
    terminal = ["runuser", "-u", student.name, "--", "env", "-i", *filter(None, environ),
                f"{settings.env}/bin/nbgrader", "submit", ASSIGNMENT, "--course", COURSE]
    before = {p.name for p in inbound.glob(f"{student.name}+{ASSIGNMENT}+*")}
    with ThreadPoolExecutor(3) as pool:
        handler = pool.submit(student.assignments, "submit")
        cli = pool.submit(subprocess.run, terminal, cwd=home, capture_output=True, text=True)
        collect = pool.submit(hub.grader, settings, "collect")
        assert "submitted" in student.status(handler.result())
        assert cli.result().returncode == 0, cli.result().stderr[-2000:]
        collect.result()  # no error
    new = {p.name: p for p in inbound.glob(f"{student.name}+{ASSIGNMENT}+*")}
    assert len(set(new) - before) == 2, sorted(new)

    def one_complete_submission():
        """The timestamp of the one submission in submitted/: all of one inbound submission's files."""
        timestamp = (submitted / "timestamp.txt").read_text()
        [source] = [p for name, p in new.items() if name.split("+")[2] == timestamp]
        files = {p.relative_to(submitted) for p in submitted.rglob("*") if p.is_file()}
        assert Path(f"{NOTEBOOK}.ipynb") in files
        for name in files:
            assert (submitted / name).read_bytes() == (source / name).read_bytes(), name
        return timestamp

    first = one_complete_submission()  # the earlier or the later, or one from before
    hub.grader(settings, "collect")
    latest = max(name.split("+")[2] for name in new)
    assert one_complete_submission() == latest
    assert set(new) <= {p.name for p in inbound.iterdir() if p.name.startswith(student.name)}  # nothing lost
    print(f"collected at the moment of two submissions: {first}; then the latest, {latest}")
