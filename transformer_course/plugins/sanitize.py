"""SanitizeSubmission: a student's HTML never runs on the pages that show their notebook.

nbgrader renders a submission to HTML for the feedback and for formgrader's manual grading view
(both with nbconvert's `HTMLExporter`), and shows its markdown, `text/html`, SVG and JavaScript
as they are. nbconvert's own `SanitizeHTML` preprocessor and `clean_html` filter are made for
this, but nbgrader's templates render markdown cells without `clean_html`, and nbconvert's
allow-list drops what students legitimately show (paragraphs, headings, tables, images).

Set as `c.HTMLExporter.preprocessors` and `c.HTMLExporter.filters` (nbgrader_config.py), with
`c.HTMLExporter.sanitize_html = True`, these keep only an allow-list (text formatting, tables,
images, links to web pages; LaTeX stays text for MathJax):

- `SanitizeSubmission` (preprocessor): cleans `text/html` outputs and raw cells, drops every
  output type that could run code (`application/javascript`, widgets, anything unknown); SVG
  outputs and attachments stay, as images (`<img>` never runs an SVG's scripts); attachments of
  other types are emptied;
- `CleanHTML` (filter `clean_html`, used by nbconvert's templates once `sanitize_html` is set)
  and `SanitizedMarkdown` (filter `markdown2html`: markdown cells and outputs, after rendering)
  clean with the same allow-list.
"""
import re

from bleach.css_sanitizer import CSSSanitizer
from bleach.sanitizer import Cleaner
from jinja2 import pass_context
from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbconvert.utils.base import NbConvertBase
from traitlets import Bool, Instance, List, Set, Unicode, default

TAGS = ["a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
        "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3",
        "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
        "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
        "th", "thead", "tr", "u", "ul", "var"]
CSS_PROPERTIES = ["background-color", "border", "border-bottom", "border-collapse", "border-color",
                  "border-left", "border-right", "border-top", "color", "font-family", "font-size",
                  "font-style", "font-weight", "height", "margin", "max-width", "padding",
                  "text-align", "text-decoration", "vertical-align", "white-space", "width"]
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/svg+xml"}
WEB_LINK = re.compile(r"^(https?://|mailto:|#)", re.I)
IMAGE_DATA = re.compile(r"^data:(image/png|image/jpeg|image/gif|image/svg\+xml);base64,", re.I)
SCHEME = re.compile(r"^\s*[a-z][a-z0-9+.\-]*:", re.I)


GLOBAL_ATTRIBUTES = ["class", "title", "style"]


def link_href(tag, name, value):
    """Links lead to web pages, mail or this page: no `javascript:`, no `data:`, and no relative
    link to a file of the submission, which formgrader would serve on the grader's origin."""
    if name != "href":
        return name in GLOBAL_ATTRIBUTES
    return bool(WEB_LINK.match(value.strip()))


def image_src(tag, name, value):
    """Images come from the web, the submission's folder or a data URI of an image type."""
    if name != "src":
        return name in (*GLOBAL_ATTRIBUTES, "alt", "width", "height")
    value = value.strip()
    return bool(IMAGE_DATA.match(value)) or value.lower().startswith(("http://", "https://")) \
        or not SCHEME.match(value)


ATTRIBUTES = {"*": GLOBAL_ATTRIBUTES, "a": link_href, "img": image_src,
              "td": ["colspan", "rowspan", "align"], "th": ["colspan", "rowspan", "align", "scope"],
              "ol": ["start", "type"], "li": ["value"], "col": ["span"], "colgroup": ["span"]}


class SanitizeSubmission(SanitizeHTML):
    """Clean a student's HTML to an allow-list and drop outputs that could run code."""

    enabled = Bool(True, help="Whether to sanitize (on however it is registered).").tag(config=True)
    tags = List(Unicode(), default_value=TAGS, help="HTML tags that are kept.").tag(config=True)
    styles = List(Unicode(), default_value=CSS_PROPERTIES,
                  help="CSS properties kept in `style` attributes.").tag(config=True)
    protocols = List(Unicode(), default_value=["http", "https", "mailto", "data"],
                     help="URL schemes kept in links and images (data: only for images, by "
                          "the `attributes` checks).").tag(config=True)
    safe_output_keys = Set(default_value={"metadata", "text/plain", "text/latex", "application/json",
                                          "text/markdown", *IMAGE_TYPES},
                           help="Output types kept as they are: text, markdown (cleaned once "
                                "rendered, by SanitizedMarkdown), images (SVG is shown with "
                                "`<img>`, where its scripts never run).").tag(config=True)
    sanitized_output_types = Set(default_value={"text/html"},
                                 help="Output types kept once cleaned.").tag(config=True)
    attachment_types = Set(default_value=IMAGE_TYPES,
                           help="Attachment types of markdown cells that are kept.").tag(config=True)
    cleaner = Instance(Cleaner, help="The bleach Cleaner built from the traits above.")

    @default("attributes")
    def _attributes_default(self):
        return ATTRIBUTES

    @default("cleaner")
    def _cleaner_default(self):
        return Cleaner(tags=self.tags, attributes=self.attributes, protocols=self.protocols,
                       strip=self.strip, strip_comments=self.strip_comments,
                       css_sanitizer=CSSSanitizer(allowed_css_properties=self.styles))

    def sanitize_html_tags(self, html_str):
        """`html_str` with only the allowed tags, attributes, styles and URLs."""
        return self.cleaner.clean(str(html_str))

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            for name, bundle in cell.get("attachments", {}).items():
                kept = {mime: data for mime, data in bundle.items() if mime in self.attachment_types}
                if len(kept) < len(bundle):
                    self.log.warning("Dropped attachment %r of types %s", name, sorted(set(bundle) - set(kept)))
                # An attachment left without a type would stop the page: keep an empty one.
                cell.attachments[name] = kept or {"text/plain": ""}
            return cell, resources  # the source is cleaned after rendering (SanitizedMarkdown)
        if cell.cell_type == "code":
            for output in cell.outputs:
                if output.output_type in ("display_data", "execute_result"):
                    self.sanitize_output(output)
            return cell, resources
        return super().preprocess_cell(cell, resources, index)

    def sanitize_output(self, output):
        """Keep the safe types of a display output, clean its HTML, drop the rest."""
        dropped = set(output.data) - self.safe_output_keys - self.sanitized_output_types
        if dropped:
            self.log.warning("Dropped output of types %s", sorted(dropped))
        for mime in dropped:
            del output.data[mime]
        for mime in self.sanitized_output_types & set(output.data):
            output.data[mime] = self.sanitize_html_tags(output.data[mime])
        # An "isolated" HTML output would be put in an iframe: show it inline, cleaned.
        output.get("metadata", {}).get("text/html", {}).pop("isolated", None)


class CleanHTML(NbConvertBase):
    """Jinja filter `clean_html` (HTMLExporter.filters), cleaning with SanitizeSubmission's
    allow-list and configuration."""

    sanitizer = Instance(SanitizeSubmission, help="The sanitizer whose allow-list is applied.")

    @default("sanitizer")
    def _sanitizer_default(self):
        return SanitizeSubmission(parent=self.parent)

    def __call__(self, html):
        return self.sanitizer.sanitize_html_tags(html)


@pass_context
class SanitizedMarkdown(CleanHTML):
    """Jinja filter `markdown2html` (HTMLExporter.filters): the exporter's markdown rendering
    (math, attachments), then cleaned; nbgrader's templates render markdown cells with it."""

    def __call__(self, context, source):
        return super().__call__(self.parent.markdown2html(context, source))
