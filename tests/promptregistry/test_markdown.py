"""Markdown in comments: formatting works, nothing anyone types can run script or load things."""

import pytest
from django.template import Context, Template

from promptregistry.markdown import render_markdown
from promptregistry.templatetags.registry import diff_line, highlight


def test_everyday_formatting_renders():
    html = render_markdown("Tested with **20 tickets**:\n\n- shorter\n- `{{tone}}` works\n\n> ok")
    assert "<strong>20 tickets</strong>" in html
    assert "<li>shorter</li>" in html
    assert "<code>{{tone}}</code>" in html
    assert "<blockquote>" in html


@pytest.mark.parametrize(
    "url", ["https://example.com/a?b=1", "http://example.com", "mailto:team@example.com"]
)
def test_web_and_mail_links_become_links(url):
    html = render_markdown(f"[the sheet]({url})")
    assert '<a href="' in html and ">the sheet</a>" in html
    assert 'rel="nofollow noopener noreferrer"' in html


@pytest.mark.parametrize(
    "source",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](java&#115;cript:alert(1))",
        "[click](  javascript:alert(1))",
        "<javascript:alert(1)>",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[click](file:///etc/passwd)",
        "[click][ref]\n\n[ref]: javascript:alert(1)",
    ],
)
def test_script_and_other_schemes_stay_plain_text(source):
    html = render_markdown(source)
    assert "<a " not in html
    assert "href" not in html


def test_relative_links_are_not_links_either():
    assert "<a " not in render_markdown("[home](/w/acme/)")


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "<iframe src=https://evil.example></iframe>",
        '<a href="javascript:alert(1)">x</a>',
        "<div onclick=alert(1)>raw html block</div>",
    ],
)
def test_raw_html_is_shown_as_text(source):
    html = render_markdown(source)
    assert "<script" not in html and "<img" not in html and "<iframe" not in html
    assert "<div" not in html and '<a href="javascript' not in html
    assert "&lt;" in html


def test_images_are_not_loaded():
    html = render_markdown("![pixel](https://tracker.example/p.png)")
    assert "<img" not in html


def test_the_template_filter_renders_safe_html():
    rendered = Template("{% load registry %}{{ body|markdown }}").render(
        Context({"body": "**hi** <script>x</script>"})
    )
    assert "<strong>hi</strong>" in rendered
    assert "&lt;script&gt;" in rendered


def test_highlight_marks_variables_and_snippets_and_escapes_the_rest():
    html = highlight("Hi {{name}} <b>{{> tone}}</b>", "mustache")
    assert '<mark class="highlight-variable">{{name}}</mark>' in html
    assert '<mark class="highlight-snippet">{{&gt; tone}}</mark>' in html
    assert "&lt;b&gt;" in html and "<b>" not in html


def test_highlight_knows_each_template_format():
    assert '<mark class="highlight-variable">{name}</mark>' in highlight("Hi {name}", "fstring")
    assert '<mark class="highlight-variable">{{ name }}</mark>' in highlight(
        "Hi {{ name }}", "jinja2"
    )
    assert "mark" not in highlight("Hi {name}", "unknown-format")


def test_diff_lines_escape_their_words():
    from promptregistry.diffing import Line, Segment

    line = Line(1, (Segment("equal", "<b>"), Segment("insert", "<i>new</i>")))
    html = diff_line(line, "changed")
    assert html == "&lt;b&gt;<ins>&lt;i&gt;new&lt;/i&gt;</ins>"
