"""A hostile template saved and rendered through the API: a 422 JSON error, and no big allocation.

The render endpoint runs in the server process, so what one request allocates is what
the server allocates: tracemalloc's peak across the request proves the template was
refused before it built anything large (before the fix each of these allocated tens of MB
or more, and with larger numbers several GB, before any limit could stop them).
"""

import tracemalloc
from urllib.parse import quote

import pytest

from workspaces.roles import Role

BASE = "/api/v1/prompts"
MAX_PEAK_BYTES = 8 * 2**20


def render_url(name: str) -> str:
    return f"{BASE}/{quote(name, safe='')}/render"


def post_render(client, name: str, variables: dict):
    tracemalloc.start()
    try:
        response = client.post(
            render_url(name), {"variables": variables}, content_type="application/json"
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return response, peak


@pytest.mark.parametrize(
    ("template_format", "template", "variables"),
    [
        ("jinja2", "{{ '{x:{w}}'.format_map({'x': 'a', 'w': width}) }}", {"width": 40_000_000}),
        ("jinja2", "{{ '{0:{1[0]}}'.format('a', [width]) }}", {"width": 40_000_000}),
        ("jinja2", "{{ tabs.expandtabs(4000) }}", {"tabs": "\t" * 10_000}),
        ("jinja2", "{{ text.translate({97: 'b' * 4000}) }}", {"text": "a" * 10_000}),
        ("jinja2", "{{ text|indent(4000) }}", {"text": "a\n" * 10_000}),
        ("mustache", "{{doc}}" * 100, {"doc": "y" * 150_000}),
        ("fstring", "{doc}" * 100, {"doc": "y" * 150_000}),
    ],
)
def test_a_hostile_template_renders_as_a_422_without_allocating(
    api_client, add_prompt, template_format, template, variables
):
    add_prompt("hostile", template, template_format=template_format)

    response, peak = post_render(api_client(Role.VIEWER), "hostile", variables)

    assert response.status_code == 422, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "template_error"
    assert "limit" in error["message"]
    assert peak < MAX_PEAK_BYTES


def test_an_ordinary_render_still_works_after_a_refused_one(api_client, add_prompt):
    add_prompt("hostile", "{{ name.center(width) }}", template_format="jinja2")
    add_prompt("fine", "{{ '{:.1f}'.format(x) }} {{ name|center(5) }}|", template_format="jinja2")
    client = api_client(Role.VIEWER)

    refused, _ = post_render(client, "hostile", {"name": "a", "width": 10**9})
    fine, _ = post_render(client, "fine", {"x": 2.25, "name": "Ada"})

    assert refused.status_code == 422
    assert fine.status_code == 200
    assert fine.json()["text"] == "2.2  Ada |"
