"""The Markdown sanitiser against known XSS payloads."""

import pytest

from apps.content.rendering import render_markdown

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=https://evil.example></iframe>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](jav&#x09;ascript:alert(1))",
    "[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "![x](javascript:alert(1))",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<div style="width: expression(alert(1))">x</div>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<body onload="alert(1)">',
    '<a href="#" onclick="alert(1)">x</a>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<a href="vbscript:msgbox(1)">x</a>',
    "<!--<script>alert(1)</script>-->",
    '<img src="x" """><script>alert(1)</script>">',
]

FORBIDDEN = [
    "<script",
    "javascript:",
    "vbscript:",
    "data:",
    "onerror",
    "onload",
    "onclick",
    "onfocus",
    "ontoggle",
    "<iframe",
    "<svg",
    "<style",
    "style=",
    "expression(",
    "<object",
    "<embed",
    "<form",
    "<input",
    "<meta",
    "<base",
    "srcdoc",
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_known_xss_payloads_are_neutralised(payload):
    html = render_markdown(payload).html.lower()
    for needle in FORBIDDEN:
        assert needle not in html, (payload, html)


def test_at_least_fifteen_payloads():
    assert len(XSS_PAYLOADS) >= 15


def test_links_get_rel_noopener_noreferrer_and_safe_urls_survive():
    html = render_markdown(
        "[site](https://example.com/a?b=1) [mail](mailto:a@example.com) [rel](/portal/assets/)"
    ).html
    assert html.count('rel="noopener noreferrer"') == 3
    assert 'href="https://example.com/a?b=1"' in html
    assert 'href="mailto:a@example.com"' in html
    assert 'href="/portal/assets/"' in html


def test_rich_markdown_is_kept():
    html = render_markdown(
        "## Steps\n\n1. One\n2. Two\n\n> Note\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "```\ncode <b>\n```\n\n![logo](https://cdn.example.com/logo.png)"
    ).html
    for fragment in [
        "<h2>Steps</h2>",
        "<ol>",
        "<blockquote>",
        "<table>",
        "<pre><code>",
        "code &lt;b&gt;",
        '<img alt="logo" src="https://cdn.example.com/logo.png">',
    ]:
        assert fragment in html, fragment


def test_plain_text_and_excerpt():
    rendered = render_markdown("# Title\n\n" + "word " * 100)
    assert rendered.text.startswith("Title word word")
    assert len(rendered.excerpt) <= 241 and rendered.excerpt.endswith("…")
