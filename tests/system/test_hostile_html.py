"""A student's HTML never runs in the instructor's browser: formgrader's manual grading view and
the feedback page of a submission full of hostile HTML, in headless Chromium.

Every payload would set a window flag `pwned_<kind>`; none may be set, the `javascript:` links
are clicked too. An honest submission's plot, table and formulas (MathJax) still render on both
pages. Two more pages of the hostile submission check the test itself and the second wall: made
the way nbgrader makes them, the payloads run; with the content-security policy but without the
sanitizing, none does. MathJax is loaded from its CDN URL in the pages, answered here from
Debian's libjs-mathjax.
"""
import base64
import io
import re
from pathlib import Path

import matplotlib
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_raw_cell
from nbgrader.api import Gradebook
from playwright.sync_api import expect

from transformer_course import ASSIGNMENT, NOTEBOOK
from transformer_course.course import Course, check
from transformer_course.plugins import ContentSecurityPolicy
from transformer_course.plugins.csp import template_basedirs

from conftest import make_course
from test_browser import browser, nbgrader, open_lab, page, serving, shoot, submit

FIXTURES = browser, page, shoot  # test_browser's, used here by name

MATHJAX = Path("/usr/share/javascript/mathjax")
SVG_SCRIPT = ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" '
              'onload="window.pwned_{kind}_onload = 1"><script>window.pwned_{kind} = 1</script>'
              '<rect width="40" height="40" fill="red"/></svg>')
HOSTILE_MARKDOWN = {
    "script": "<script>window.pwned_script = 1</script>",
    "onerror": '<img src="no-such-image.png" onerror="window.pwned_onerror = 1">',
    "onload": '<svg onload="window.pwned_onload = 1"></svg><body onload="window.pwned_body_onload = 1">',
    "ontoggle": '<details open ontoggle="window.pwned_ontoggle = 1"><summary>details</summary></details>',
    "javascript_links": "[markdown-js-link](javascript:window.pwned_markdown_link=1) and "
                        '<a href="javascript:window.pwned_html_link = 1">html-js-link</a>',
    "svg": SVG_SCRIPT.format(kind="inline_svg"),
    "iframe": '<iframe srcdoc="<script>parent.pwned_iframe_srcdoc = 1</script>"></iframe>'
              '<iframe src="javascript:parent.pwned_iframe_src = 1"></iframe>',
    "object": '<object data="javascript:window.pwned_object = 1"></object>',
    "relative_link": "[my-notes](notes.html), a page of the submission",
}
HOSTILE_CODE = f"""from IPython.display import HTML, SVG, Javascript, Markdown, display
display(Javascript("window.pwned_javascript_output = 1"))
display(HTML("<script>window.pwned_html_output = 1</script><img src=x onerror='window.pwned_html_onerror = 1'>"))
display(HTML('<b>isolated</b><script>parent.pwned_isolated = 1</script>'), metadata={{"isolated": True}})
display(SVG({SVG_SCRIPT.format(kind="svg_output")!r}))
display(Markdown('<img src=x onerror="window.pwned_markdown_output = 1">'))
"""
HONEST_CODE = """import matplotlib.pyplot as plt
import numpy as np
from IPython.display import HTML, display
x = np.linspace(-4, 4, 100)
plt.plot(x, 1 / (1 + np.exp(-x)))
plt.title("sigmoid")
plt.show()
display(HTML("<table class='dataframe'><tr><th>d_model</th><th>heads</th></tr><tr><td>512</td><td>8</td></tr></table>"))
"""
FORMULAS = r"""Honest formulas: $\mathrm{softmax}\left(QK^\top / \sqrt{d_k}\right) V$, with
$$\sum_j w_{ij} = 1.$$
![a plot](attachment:plot.png)"""


def png():
    """A small PNG made with matplotlib (Agg)."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(figsize=(2, 1))
    axes.plot([0, 1], [0, 1])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def hostile(nb, home):
    """Markdown and raw cells full of hostile HTML, an SVG attachment with a script, a code cell
    that displays JavaScript, HTML, SVG and markdown, and a page of its own to link to."""
    for kind, html in HOSTILE_MARKDOWN.items():
        nb.cells.append(new_markdown_cell(f"Hostile {kind}: {html}"))
    svg = base64.b64encode(SVG_SCRIPT.format(kind="attachment").encode()).decode()
    nb.cells.append(new_markdown_cell("An attachment: ![evil](attachment:evil.svg)",
                                      attachments={"evil.svg": {"image/svg+xml": svg}}))
    nb.cells.append(new_raw_cell("<script>window.pwned_raw = 1</script>", metadata={"raw_mimetype": "text/html"}))
    nb.cells.append(new_code_cell(HOSTILE_CODE))
    (home / "notes.html").write_text("<script>window.opener.pwned_relative_link = 1</script>")


def honest(nb, home):
    """A plot, a table and formulas (with a plot as an attachment)."""
    nb.cells.append(new_markdown_cell(FORMULAS, attachments={"plot.png": {"image/png": png()}}))
    nb.cells.append(new_code_cell(HONEST_CODE))


def serve_mathjax(context):
    """Answer MathJax's CDN (cdnjs, as nbgrader's templates load it) from Debian's copy."""
    if not MATHJAX.is_dir():
        pytest.fail("MathJax 2 is missing: apt-get install libjs-mathjax (make system)")

    def cdn(route):
        path = re.sub(r"^.*/ajax/libs/mathjax/[^/]+/", "", route.request.url.split("?")[0])
        file = MATHJAX / "unpacked" / path if path == "latest.js" else MATHJAX / path
        if file.is_file():
            route.fulfill(path=file)
        else:
            route.fulfill(status=404)
    # The last route added is tried first: nothing else leaves the machine.
    context.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
    context.route(re.compile(r"^https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/"), cdn)
    context.route(re.compile(r"^https://api\.cdnjs\.com/"),
                  lambda route: route.fulfill(json={"version": "2.7.7"}, headers={"Access-Control-Allow-Origin": "*"}))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A scratch course (as test_browser's `course`) with mallory's hostile and alice's honest
    submission collected, autograded and given feedback; yields the course folder, its exchange
    and {student: submission id}."""
    tmp_path = tmp_path_factory.mktemp("hostile")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
        env.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
        folder, exchange = make_course(tmp_path / "course").root, tmp_path / "exchange"
        nbgrader("release_assignment", ASSIGNMENT, cwd=folder, exchange=exchange)
        submit("mallory", hostile, exchange, tmp_path)
        submit("alice", honest, exchange, tmp_path)
        for step in ("collect", "autograde", "generate_feedback"):
            nbgrader(step, ASSIGNMENT, cwd=folder, exchange=exchange)
        with Gradebook(f"sqlite:///{folder / 'gradebook.db'}", course_id="transformer-math") as gradebook:
            ids = {student: gradebook.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student).id
                   for student in ("mallory", "alice")}
        yield folder, exchange, ids


def flags(page):
    return page.evaluate("Object.keys(window).filter(key => key.startsWith('pwned'))")


def watch_csp(page):
    """The list of the page's content-security policy violations, as they come."""
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    return violations


def check_hostile(page, shoot, name):
    """No payload ran, also after clicking the links; the student's markup is shown as text."""
    expect(page.get_by_text("Hostile script: <script>window.pwned_script = 1</script>")).to_be_visible()
    for text in ("markdown-js-link", "html-js-link", "my-notes"):
        link = page.get_by_text(text, exact=True)
        assert link.get_attribute("href") is None, text
        link.click()
    page.wait_for_timeout(1_000)
    assert page.locator("iframe, object, embed, svg script").count() == 0
    shoot(name)
    assert flags(page) == []
    assert not [frame.url for frame in page.frames if frame != page.main_frame]


def check_honest(page, shoot, name):
    """The plot, the attachment, the table and the formulas (typeset by MathJax) are there."""
    formulas = page.locator(".text_cell_render", has_text="Honest formulas")
    expect(formulas.locator(".MathJax_CHTML")).to_have_count(2)
    plot = page.locator(".code_cell", has_text="sigmoid").locator(".output_png img")
    images = formulas.locator("img[src^='data:image/png']").or_(plot)
    expect(images).to_have_count(2)  # the attachment and the plot
    assert all(width > 0 for width in images.evaluate_all("images => images.map(i => i.naturalWidth)"))
    expect(page.locator("table.dataframe td").first).to_have_text("512")
    formulas.scroll_into_view_if_needed()
    shoot(name)


def test_formgrader_runs_no_student_html(graded, page, shoot):
    folder, exchange, ids = graded
    serve_mathjax(page.context)
    violations = watch_csp(page)
    with serving("instructor", folder, exchange, shoot) as server:
        open_lab(page, server)  # logs the instructor in, as for formgrader's panel in JupyterLab
        page.goto(f"{server.url}formgrader/submissions/{ids['alice']}/")
        check_honest(page, shoot, "formgrader-honest")
        # formgrader itself works under the policy: its scripts load the grades from its API,
        # save a manual score, and the navigation bar's handlers show the student's name.
        score = page.locator("input.score").first
        expect(score).to_have_attribute("placeholder", re.compile(r"^\d"))  # the autograded score
        with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT") as saved:
            score.fill("0")
            score.press("Tab")
        assert saved.value.ok
        page.locator(".glyphicon.name-hidden").click()
        expect(page.locator("a.name-shown")).to_be_visible()
        assert violations == []

        page.goto(f"{server.url}formgrader/submissions/{ids['mallory']}/")
        expect(page.locator("input.score").first).to_have_attribute("placeholder", re.compile(r"^\d"))
        check_hostile(page, shoot, "formgrader-hostile")
        policy = page.locator("meta[http-equiv='Content-Security-Policy']").get_attribute("content")
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0], policy


def test_feedback_runs_no_student_html(graded, page, shoot):
    folder, _, _ = graded
    serve_mathjax(page.context)
    violations = watch_csp(page)
    page.goto((folder / "feedback" / "alice" / ASSIGNMENT / f"{NOTEBOOK}.html").as_uri())
    check_honest(page, shoot, "feedback-honest")
    assert violations == []
    page.goto((folder / "feedback" / "mallory" / ASSIGNMENT / f"{NOTEBOOK}.html").as_uri())
    check_hostile(page, shoot, "feedback-hostile")


def unprotected_feedback(folder, name, **exporter):
    """mallory's feedback page made with HTMLExporter settings `exporter` over the course's."""
    api = Course(folder).api(CourseDirectory={"feedback_directory": name}, HTMLExporter=exporter)
    check(api.generate_feedback(ASSIGNMENT, "mallory", force=True), "generate_feedback mallory")
    return folder / name / "mallory" / ASSIGNMENT / f"{NOTEBOOK}.html"


def open_and_click(page, page_file):
    """Open the page and click its `javascript:` links; return the flags set."""
    serve_mathjax(page.context)
    page.goto(page_file.as_uri())
    for text in ("markdown-js-link", "html-js-link"):
        page.get_by_text(text, exact=True).click()
    page.wait_for_timeout(1_000)
    return flags(page)


def test_payloads_run_on_an_unprotected_page(graded, page):
    """The control: nbgrader's own feedback page (no sanitizing, no policy) runs them."""
    folder, _, _ = graded
    page_file = unprotected_feedback(folder, "unprotected", preprocessors=[], sanitize_html=False, filters={},
                                     template_file="index.html.j2", extra_template_basedirs=template_basedirs()[1:])
    ran = open_and_click(page, page_file)
    for kind in ("script", "onerror", "onload", "ontoggle", "markdown_link", "html_link", "inline_svg",
                 "iframe_srcdoc", "html_output", "html_onerror", "isolated", "markdown_output"):
        assert f"pwned_{kind}" in ran, (kind, ran)


def test_policy_alone_stops_inline_scripts(graded, page, shoot):
    """The policy is a wall of its own: the hostile feedback made without any sanitizing runs
    none of the inline scripts, handlers and links either."""
    folder, _, _ = graded
    page_file = unprotected_feedback(folder, "unsanitized", preprocessors=[], sanitize_html=False,
                                     filters={"content_security_policy": ContentSecurityPolicy})
    assert "<script>window.pwned_script = 1</script>" in page_file.read_text()
    assert open_and_click(page, page_file) == []
    shoot("feedback-unsanitized")
