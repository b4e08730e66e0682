"""Markdown to safe HTML for Help center articles.

Markdown (with raw HTML allowed by the format) is rendered by `markdown`, then everything that
is not in the allow-lists below is removed by `nh3` (the ammonia sanitiser): scripts, event
handlers, styles, iframes, forms, and URLs that are not http(s), mailto or relative. Every
link gets rel="noopener noreferrer".
"""

import html
import re
from dataclasses import dataclass

import markdown
import nh3

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl",
        "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
        "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "summary", "sup",
        "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
MARKDOWN_EXTENSIONS = ["extra", "sane_lists"]


@dataclass(frozen=True)
class RenderedMarkdown:
    html: str
    text: str
    excerpt: str


def sanitise_html(raw_html: str) -> str:
    return nh3.clean(
        raw_html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def html_to_text(safe_html: str) -> str:
    text = nh3.clean(re.sub(r"<(/p|br\s*/?|/h\d|/li|/tr)>", r" \g<0>", safe_html), tags=set())
    text = re.sub(r"[\x00-\x1f\x7f]", " ", html.unescape(text))
    return re.sub(r"\s+", " ", text).strip()


def render_markdown(source: str) -> RenderedMarkdown:
    """Sanitised HTML, its plain text (for search) and a short excerpt (for lists)."""
    raw = markdown.markdown(source or "", extensions=MARKDOWN_EXTENSIONS, output_format="html")
    safe = sanitise_html(raw)
    text = html_to_text(safe)
    # The excerpt reads as prose: paragraphs only, not headings or list fragments.
    paragraphs = " ".join(html_to_text(p) for p in re.findall(r"<p>(.*?)</p>", safe, re.S))
    lead = paragraphs or text
    excerpt = lead if len(lead) <= 240 else lead[:240].rsplit(" ", 1)[0] + "…"
    return RenderedMarkdown(html=safe, text=text, excerpt=excerpt)
