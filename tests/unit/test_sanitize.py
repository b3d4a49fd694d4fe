"""SanitizeSubmission, its filters and ContentSecurityPolicy on a small fixture notebook (no kernel)."""
import base64
import copy
import re

import nbformat
import pytest
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell
from traitlets.config import Config

from transformer_course.course import Course
from transformer_course.plugins import CleanHTML, ContentSecurityPolicy, SanitizedMarkdown, SanitizeSubmission
from transformer_course.plugins.csp import sha256

SVG = '<svg xmlns="http://www.w3.org/2000/svg" onload="window.pwned = 1"><script>window.pwned = 2</script></svg>'
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
TABLE = '<table class="dataframe"><tr><th>d_k</th></tr><tr><td style="text-align: right;">64</td></tr></table>'
MARKDOWN = """# Attention
$\\mathrm{softmax}(q K^\\top / \\sqrt{d_k})$ where `a < b`

<script>window.pwned = 3</script>

Inline <img src="missing.png" onerror="window.pwned = 4">

[js](javascript:window.pwned=5) <a href="notes.html">notes</a> [paper](https://arxiv.org/abs/1706.03762)

![plot](attachment:plot.png) ![evil](attachment:evil.svg) ![page](attachment:page.html)
"""


def fixture_notebook():
    """Markdown with hostile HTML and attachments, a raw HTML cell, and display outputs of every
    kind a kernel can send."""
    markdown = new_markdown_cell(MARKDOWN, attachments={
        "plot.png": {"image/png": PNG},
        "evil.svg": {"image/svg+xml": base64.b64encode(SVG.encode()).decode()},
        "page.html": {"text/html": base64.b64encode(b"<script>window.pwned = 6</script>").decode()},
    })
    outputs = [
        new_output("display_data", data={"text/html": TABLE + "<script>window.pwned = 7</script>",
                                         "text/plain": "table"}),
        new_output("display_data", data={"application/javascript": "window.pwned = 8", "text/plain": "js"}),
        new_output("display_data", data={"image/svg+xml": SVG}),
        new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
        new_output("display_data", data={"text/html": "<b>isolated</b>"}, metadata={"text/html": {"isolated": True}}),
        new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "1"},
                                         "text/plain": "widget"}),
        new_output("execute_result", data={"text/latex": "$x^2$", "text/markdown": "**bold**"}, execution_count=1),
        new_output("stream", name="stdout", text="<script>printed</script>\n"),
    ]
    raw = new_raw_cell("<script>window.pwned = 9</script><p>raw</p>", metadata={"raw_mimetype": "text/html"})
    nb = new_notebook(cells=[markdown, new_code_cell("show()", outputs=outputs, execution_count=1), raw])
    nbformat.validate(nb)
    return nb


def sanitized():
    nb, _ = SanitizeSubmission()(copy.deepcopy(fixture_notebook()), {})
    return nb


def test_outputs_that_could_run_code_are_dropped():
    outputs = sanitized().cells[1].outputs
    assert [sorted(o.get("data", {})) for o in outputs] == [
        ["text/html", "text/plain"], ["text/plain"], ["image/svg+xml"], ["image/png", "text/plain"],
        ["text/html"], ["text/plain"], ["text/latex", "text/markdown"], []]


def test_html_outputs_are_cleaned_and_shown_inline():
    outputs = sanitized().cells[1].outputs
    assert outputs[0].data["text/html"] == TABLE.replace("<tr>", "<tbody><tr>", 1).replace(
        "</table>", "</tbody></table>") + "&lt;script&gt;window.pwned = 7&lt;/script&gt;"
    assert "isolated" not in outputs[4].metadata["text/html"]


def test_images_text_and_streams_kept_as_they_are():
    before, after = fixture_notebook().cells[1].outputs, sanitized().cells[1].outputs
    for index in (2, 3, 6, 7):
        assert after[index] == before[index]


def test_attachments_only_images():
    attachments = sanitized().cells[0].attachments
    assert attachments["plot.png"] == {"image/png": PNG}
    assert "image/svg+xml" in attachments["evil.svg"]  # shown with <img>: its scripts never run
    assert attachments["page.html"] == {"text/plain": ""}


def test_markdown_source_left_to_the_filter_and_raw_html_cleaned():
    cells = sanitized().cells
    assert cells[0].source == MARKDOWN
    assert cells[2].source == "&lt;script&gt;window.pwned = 9&lt;/script&gt;<p>raw</p>"


@pytest.mark.parametrize("html, clean", [
    pytest.param('<p>a <strong>b</strong> <em>c</em> <code>d</code></p>', None, id="formatting"),
    pytest.param("<h2>Title</h2><ul><li>x</li></ul><blockquote>q</blockquote><pre>p</pre>", None, id="structure"),
    pytest.param(f'<img src="data:image/png;base64,{PNG}" alt="plot" width="10">', None, id="png-image"),
    pytest.param('<img src="figures/plot.png">', None, id="image-of-the-submission"),
    pytest.param('<a href="https://example.org" title="t">web</a> <a href="#top">top</a>', None, id="web-links"),
    pytest.param('<span style="position: fixed; color: red;">x</span>', '<span style="color: red;">x</span>',
                 id="layout-styles-dropped"),
    pytest.param("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;", id="script-shown-as-text"),
    pytest.param('<img src="x" onerror="alert(1)">', '<img src="x">', id="handler"),
    pytest.param('<a href="javascript:alert(1)">a</a>', "<a>a</a>", id="javascript-link"),
    pytest.param('<a href=" JaVaScRiPt:alert(1)">a</a>', "<a>a</a>", id="javascript-link-obfuscated"),
    pytest.param('<a href="notes.html">a</a>', "<a>a</a>", id="relative-link"),
    pytest.param('<a href="data:text/html,x">a</a>', "<a>a</a>", id="data-link"),
    pytest.param('<img src="data:text/html;base64,PHNjcmlwdD4=">', "<img>", id="data-image-not-an-image"),
    pytest.param('<img src="javascript:alert(1)">', "<img>", id="javascript-image"),
    pytest.param('<p id="notebook">x</p>', "<p>x</p>", id="ids-dropped"),
    pytest.param('<iframe src="x"></iframe>', '&lt;iframe src="x"&gt;&lt;/iframe&gt;', id="iframe"),
])
def test_allow_list(html, clean):
    assert SanitizeSubmission().sanitize_html_tags(html) == (html if clean is None else clean)


def exporter(**config):
    """nbconvert's HTMLExporter with the course's configuration (nbgrader_config.py)."""
    c = Config(Course().config)
    c.HTMLExporter.update(config)
    return HTMLExporter(config=c)


def test_course_config_sets_the_sanitizing():
    html_exporter = exporter()
    assert html_exporter.sanitize_html is True
    assert SanitizeSubmission in html_exporter.preprocessors
    assert html_exporter.filters == {"clean_html": CleanHTML, "markdown2html": SanitizedMarkdown,
                                     "content_security_policy": ContentSecurityPolicy}


def test_rendered_markdown_cleaned_with_math_and_images_kept():
    html, _ = exporter(template_name="classic", template_file="index.html.j2").from_notebook_node(fixture_notebook())
    body = html[html.index("<main>"):]
    assert "pwned = 3" in body and "&lt;script&gt;window.pwned = 3&lt;/script&gt;" in body
    assert not re.search(r"<script|onerror=|javascript:|<iframe|href=\"notes.html\"", body)
    assert "$\\mathrm{softmax}(q K^\\top / \\sqrt{d_k})$" in body
    assert "<code>a &lt; b</code>" in body
    assert f'src="data:image/png;base64,{PNG}"' in body
    assert '<a href="https://arxiv.org/abs/1706.03762">paper</a>' in body
    assert '<td style="text-align: right;">64</td>' in body


def test_formgrade_page_policy_allows_formgrader_own_code_only():
    resources = {"assignment_id": "a", "notebook_id": "n", "submission_id": "s1", "index": 0, "total": 1,
                 "base_url": "", "student": "mallory", "last_name": "M", "first_name": "Mal",
                 "notebook_path": "autograded/mallory/a/n.ipynb"}
    html, _ = exporter(template_name="formgrade").from_notebook_node(fixture_notebook(), resources=resources)
    head, body = html.split("</head>")
    meta = re.findall(r'<meta content="([^"]*)" http-equiv="Content-Security-Policy"/>', head)
    assert len(meta) == 1 and head.rindex("<meta content=") > head.rindex("<script")
    script_src = re.search(r"script-src ([^;]*)", meta[0]).group(1).split()
    assert "'unsafe-inline'" not in script_src
    inline = re.findall(r"<script[^>]*>(.*?)</script>", body, re.S)
    handlers = re.findall(r'onclick="([^"]*)"', body)
    assert len(inline) == 1 and handlers == ["toggle_name(true);", "toggle_name(false);"]
    assert {sha256(code) for code in inline + handlers} <= set(script_src)
    assert "'unsafe-hashes'" in script_src and "'self'" in script_src


def test_feedback_policy_has_no_inline_code_nor_same_origin_scripts():
    policy = ContentSecurityPolicy().policy()
    script_src = re.search(r"script-src ([^;]*)", policy).group(1).split()
    assert script_src == ["https://cdnjs.cloudflare.com", "'unsafe-eval'"]
    for directive in ("default-src 'none'", "base-uri 'none'", "form-action 'none'"):
        assert directive in policy


def test_policy_goes_last_in_head():
    page = ContentSecurityPolicy()("<html><head><title>t</title></head><body></body></html>")
    assert re.fullmatch(r'<html><head><title>t</title><meta http-equiv="Content-Security-Policy" '
                        r'content="[^"]+">\n</head><body></body></html>', page)
    with pytest.raises(ValueError):
        ContentSecurityPolicy()("<body></body>")
