"""A student and an instructor use nbgrader in JupyterLab, driven in headless Chromium.

Screenshots go to $BROWSER_SCREENSHOTS/<test> (default: the test's tmp folder); each test prints it.
Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM); Playwright's own browsers are not used.
"""
import os
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Error as PlaywrightError, expect, sync_playwright

from transformer_course import ASSIGNMENT, NOTEBOOK, lab

from conftest import make_course

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SLOW = 120_000  # ms: validating or autograding runs the whole notebook
expect.set_options(timeout=30_000)

ATTENTION_OK = """def attention_weights(q, K):
    q, K = np.asarray(q, dtype=float), np.asarray(K, dtype=float)
    scores = q @ K.T / np.sqrt(K.shape[-1])
    w = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return w / w.sum(axis=-1, keepdims=True)
"""
CAUSAL_WRONG = """def causal_mask(T):
    return np.triu(np.ones((T, T), dtype=bool), k=0)
"""


def nbgrader(*args, cwd, exchange):
    """Run an nbgrader command with the course's exchange; fail with its output."""
    env = dict(os.environ, NBGRADER_EXCHANGE=str(exchange),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    env.pop("NBGRADER_DB_URL", None)
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A scratch course folder with the assignment generated and released to its own exchange.

    Jupyter's and IPython's data folders move to tmp too, so the user's own stay untouched.
    """
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    folder = make_course(tmp_path / "course").root
    exchange = tmp_path / "exchange"
    nbgrader("release_assignment", ASSIGNMENT, cwd=folder, exchange=exchange)
    return folder, exchange


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
            headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        yield page
    finally:
        context.close()


def screenshot_folder(request, tmp_path):
    """The test's empty screenshot folder: $BROWSER_SCREENSHOTS/<test>, or in its tmp folder."""
    base = os.environ.get("BROWSER_SCREENSHOTS")
    folder = Path(base) / request.node.name if base else tmp_path / "screenshots"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    print(f"screenshots: {folder}")
    return folder


@pytest.fixture
def shoot(request, tmp_path, page):
    """shoot(name) saves a numbered screenshot of the page in the test's screenshot folder."""
    folder = screenshot_folder(request, tmp_path)
    count = iter(range(1, 100))

    def save(name):
        page.screenshot(path=folder / f"{next(count):02d}-{name}.png")
    return save


@contextmanager
def serving(role, root, exchange, shoot):
    """lab.running, with a screenshot of the page if the block fails (before the server stops)."""
    with lab.running(role, root, exchange=exchange) as server:
        try:
            yield server
        except BaseException:
            shoot("failure")
            raise


def open_lab(page, server, path=""):
    page.goto(server.lab_url(path))
    expect(page.locator("#jp-main-dock-panel")).to_be_visible()


def menu(page, *names):
    """Click through the main menu bar, e.g. menu(page, "Run", "Run All Cells")."""
    page.locator(".lm-MenuBar-itemLabel", has_text=names[0]).click()
    for name in names[1:]:
        page.locator(".lm-Menu-itemLabel", has_text=name).first.click()


def write_cell(page, marker, code):
    """Replace the text of the code cell containing `marker` with `code`."""
    editor = page.locator(".jp-CodeCell", has_text=marker).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(code)
    expect(editor).to_contain_text(code.splitlines()[1].strip())


def test_student_fetches_answers_validates_and_submits(course, page, shoot, tmp_path):
    folder, exchange = course
    home = tmp_path / "home"
    home.mkdir()
    with serving("student", home, exchange, shoot) as server:
        assert page.request.get(f"{server.url}formgrader?token={server.token}").status == 404
        open_lab(page, server)
        menu(page, "Nbgrader")
        expect(page.locator(".lm-Menu")).to_have_text("Assignment List")
        page.keyboard.press("Escape")
        menu(page, "Nbgrader", "Assignment List")

        released = page.locator("#released_assignments_list")
        expect(released).to_contain_text(ASSIGNMENT)
        expect(released).to_contain_text("transformer-math")
        shoot("assignment-list")
        released.get_by_role("button", name="Fetch").click()
        fetched = page.locator("#fetched_assignments_list")
        expect(fetched).to_contain_text(ASSIGNMENT)
        assert (home / ASSIGNMENT / f"{NOTEBOOK}.ipynb").is_file()
        shoot("fetched")

        fetched.get_by_text(ASSIGNMENT).click()
        fetched.get_by_role("link", name=NOTEBOOK).click()
        expect(page.locator(".jp-Notebook-ExecutionIndicator")).to_have_attribute(
            "data-status", "idle", timeout=SLOW)
        expect(page.locator(".lm-TabBar-tab[title='Nbgrader Create Assignment']")).to_have_count(0)
        write_cell(page, "def attention_weights", ATTENTION_OK)
        write_cell(page, "def causal_mask", CAUSAL_WRONG)
        menu(page, "Run", "Run All Cells")
        first_error = page.locator("[data-mime-type='application/vnd.jupyter.stderr']").first
        expect(first_error).to_be_attached(timeout=SLOW)
        first_error.scroll_into_view_if_needed()
        expect(first_error).to_contain_text("CheckFailed: causal_mask(4)")
        example = page.locator(".jp-CodeCell", has_text="attention_weights([1.0, 0.0]")
        expect(example).to_contain_text("Exercise 1: the worked example passes.")
        shoot("ran-cells")
        page.keyboard.press("Control+S")
        expect(page.locator(".jp-mod-dirty")).to_have_count(0)

        page.locator(".jp-ToolbarButtonComponent", has_text="Validate").click()
        dialog = page.locator(".jp-Dialog")
        expect(dialog).to_contain_text("Validation Results", timeout=SLOW)
        failure = dialog.locator("pre", has_text="CheckFailed: causal_mask(4)")
        expect(failure).to_contain_text("mask[0, 0] = True (blocked) (4 of 16 entries wrong)")
        expect(dialog).not_to_contain_text("attention_weights([1, 0], np.eye(2))")
        failure.evaluate("pre => { pre.scrollIntoView(); pre.scrollTop = pre.scrollHeight; }")
        shoot("validate")
        dialog.get_by_role("button", name="Ok").click()

        menu(page, "Nbgrader", "Assignment List")
        fetched.get_by_role("button", name="Submit").click()
        submitted = page.locator("#submitted_assignments_list")
        expect(submitted).to_contain_text(ASSIGNMENT)
        expect(submitted).to_contain_text(" UTC")
        expect(fetched.get_by_role("button", name="Submit")).to_be_enabled()
        shoot("submitted")

    inbound = list((exchange / "transformer-math" / "inbound").glob(f"*+{ASSIGNMENT}+*"))
    assert len(inbound) == 1, inbound
    submitted = nbformat.read(inbound[0] / f"{NOTEBOOK}.ipynb", as_version=4)
    answers = {c.metadata.nbgrader["grade_id"]: c.source for c in submitted.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    assert answers["attention_weights"].strip() == ATTENTION_OK.strip()
    assert answers["causal_mask"].strip() == CAUSAL_WRONG.strip()


def submit(student, edit, exchange, tmp_path):
    """Fetch the assignment into a home folder, change it with `edit(nb, assignment folder)` and
    submit with nbgrader."""
    home = tmp_path / student
    home.mkdir()
    flags = ["--CourseDirectory.course_id=transformer-math", f"--Exchange.root={exchange}",
             f"--Exchange.cache={home / '.nbgrader_cache'}"]
    nbgrader("fetch_assignment", ASSIGNMENT, *flags, cwd=home, exchange=exchange)
    path = home / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    nb = nbformat.read(path, as_version=4)
    edit(nb, path.parent)
    nbformat.write(nb, path)
    nbgrader("submit", ASSIGNMENT, f"--student={student}", *flags, cwd=home, exchange=exchange)


def submit_as(student, course, tmp_path):
    """Submit with one exercise right and one wrong."""
    def answer(nb, folder):
        for cell in nb.cells:
            answer = {"attention_weights": ATTENTION_OK, "causal_mask": CAUSAL_WRONG}.get(
                cell.metadata.get("nbgrader", {}).get("grade_id"))
            if answer:
                cell.source = answer
    submit(student, answer, course[1], tmp_path)


def close_log(frame, message):
    """Wait for formgrader's log dialog to say `message`, then close it.

    Bootstrap slides the dialog in; a click that lands while it still moves misses the OK
    button (seen once in CI), so OK is clicked again while the dialog stays open.
    """
    dialog = frame.locator(".modal")
    expect(dialog).to_contain_text(message, timeout=SLOW)
    expect(dialog).to_have_class(re.compile(r"\bin\b"))
    for _ in range(5):
        try:
            dialog.locator(".modal-footer button").click(timeout=5_000)
            expect(dialog).to_be_hidden(timeout=5_000)
            break
        except (AssertionError, PlaywrightError):
            continue
    expect(dialog).to_be_hidden()
    expect(frame.locator(".modal-backdrop")).to_have_count(0)


def test_instructor_collects_autogrades_and_edits_source(course, page, shoot, tmp_path):
    folder, exchange = course
    submit_as("alice", course, tmp_path)
    with serving("instructor", folder, exchange, shoot) as server:
        open_lab(page, server)
        menu(page, "Nbgrader")
        expect(page.locator(".lm-Menu")).not_to_contain_text("Assignment List")
        page.locator(".lm-Menu-itemLabel", has_text="Formgrader").first.click()
        grader = page.frame_locator("iframe[src*='formgrader']")
        row = grader.locator("tr", has_text=ASSIGNMENT)
        expect(row).to_contain_text("released")
        shoot("formgrader")

        row.locator(".collect a").click()
        close_log(grader, "Successfully collected")
        expect(row.locator(".num-submissions")).to_have_text("1")
        shoot("collected")

        row.locator(".num-submissions a").click()
        submission = grader.locator("tr", has_text="alice")
        expect(submission).to_contain_text("needs autograding")
        submission.locator(".autograde a").click()
        close_log(grader, "Successfully autograded")
        expect(submission.locator(".score")).to_have_text("5 / 41")  # exercise 1: 1 + 2 + 2
        expect(submission.locator(".status")).to_have_text("graded")
        shoot("autograded")

        open_lab(page, server, f"tree/source/{ASSIGNMENT}/{NOTEBOOK}.ipynb")
        answer = page.locator(".jp-CodeCell", has_text="def attention_weights")
        expect(answer).to_be_visible()
        page.locator(".lm-TabBar-tab[title='Nbgrader Create Assignment']").click()
        panel = page.locator(".nbgrader-CreateAssignmentWidget")
        expect(panel.locator(".nbgrader-TotalPointsInput")).to_have_value("41")
        cells = panel.locator(".nbgrader-CellWidget")
        expect(cells.first).to_be_visible()
        tools = cells.evaluate_all("""cells => cells.map(cell => [
            cell.querySelector('.nbgrader-CellType select').value,
            cell.querySelector('.nbgrader-CellId input')?.value])""")
        assert ["solution", "attention_weights"] in tools, tools
        assert ["tests", "causal_mask_example"] in tools, tools
        answer.scroll_into_view_if_needed()
        cells.nth(tools.index(["solution", "attention_weights"])).scroll_into_view_if_needed()
        shoot("create-assignment")
    assert (folder / "autograded" / "alice" / ASSIGNMENT / f"{NOTEBOOK}.ipynb").is_file()
