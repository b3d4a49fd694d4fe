"""ContentSecurityPolicy: the pages that show a submission forbid inline scripts.

A second wall behind SanitizeSubmission: the feedback page and formgrader's manual grading view
carry a `<meta http-equiv="Content-Security-Policy">` at the end of their `<head>`, so that in
their `<body>`, where the student's notebook is, no inline script, event handler or
`javascript:` URL runs, and no frame, object, form or `<base>` works. Scripts load only from
MathJax's origin (and, in formgrader, from the server itself); `'unsafe-eval'` is allowed because
MathJax 2 evaluates its configuration block. Formgrader's own handlers and scripts in its
`<body>` (the navigation bar) are allowed by their hashes.

Set with `c.HTMLExporter.template_file = "with_csp.html.j2"` and
`c.HTMLExporter.extra_template_basedirs = template_basedirs()`: `templates/formgrade/` and
`templates/feedback/` here extend nbgrader's templates of those names and call this filter as
`content_security_policy` (in `c.HTMLExporter.filters`).
"""
import base64
import hashlib
from html.parser import HTMLParser
from pathlib import Path

import nbgrader
from markupsafe import Markup
from nbconvert.utils.base import NbConvertBase
from traitlets import List, Unicode

TEMPLATES = Path(__file__).parent / "templates"


def template_basedirs():
    """Our template folders, then nbgrader's (which formgrader and generate_feedback set when
    `HTMLExporter.extra_template_basedirs` is not configured)."""
    return [str(TEMPLATES), str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates")]


class InlineCode(HTMLParser):
    """Collects the inline scripts and event handlers of an HTML fragment."""

    def __init__(self):
        super().__init__()
        self.scripts, self.handlers, self.in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self.handlers += [value for name, value in attrs if name.startswith("on") and value]
        self.in_script = tag == "script" and not dict(attrs).get("src")
        if self.in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        self.in_script = False

    def handle_data(self, data):
        if self.in_script:
            self.scripts[-1] += data


def sha256(code):
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"


class ContentSecurityPolicy(NbConvertBase):
    """Jinja filter: `head_html` with the page's policy as its last element."""

    mathjax = List(Unicode(), ["https://cdnjs.cloudflare.com"],
                   help="Origins of MathJax's scripts, styles and fonts (nbgrader's templates "
                        "load MathJax 2 from cdnjs).").tag(config=True)
    mathjax_api = List(Unicode(), ["https://api.cdnjs.com"],
                       help="Origins MathJax's latest.js asks for its newest version.").tag(config=True)
    images = List(Unicode(), ["*", "data:"], help="Where images may come from.").tag(config=True)

    def policy(self, own_html="", same_origin=False):
        """The policy; `own_html` is the page's own markup after the policy, whose inline scripts
        and handlers are allowed by hash; `same_origin` allows the scripts and API of the page's
        server (formgrader's), which a feedback page, read anywhere, has not."""
        code = InlineCode()
        code.feed(str(own_html))
        hashes = [sha256(script) for script in code.scripts]
        if code.handlers:
            hashes += ["'unsafe-hashes'", *sorted({sha256(handler) for handler in code.handlers})]
        own = ["'self'"] if same_origin else []
        directives = {
            "default-src": ["'none'"],
            "script-src": [*own, *self.mathjax, "'unsafe-eval'", *hashes],
            "style-src": ["'self'", "'unsafe-inline'", *self.mathjax],
            "font-src": ["'self'", *self.mathjax, "data:"],
            "img-src": ["'self'", *self.images],
            "connect-src": [*own, *self.mathjax_api],
            "base-uri": ["'none'"],
            "form-action": ["'none'"],
        }
        return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())

    def __call__(self, head_html, own_html="", same_origin=False):
        page, end, rest = str(head_html).rpartition("</head>")
        if not end:
            raise ValueError("no </head> to put the content-security policy in")
        meta = f'<meta http-equiv="Content-Security-Policy" content="{self.policy(own_html, same_origin)}">\n'
        return Markup(page + meta + end + rest)
