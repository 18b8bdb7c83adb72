"""The editor's live preview shows a template limit error on its message, not a crash.

tracemalloc's peak across the request proves the preview refused the template before
building its value (before the fix this one allocated 40 MB, then was refused).
"""

import tracemalloc

from tests.accounts.html import words
from tests.promptregistry.test_views_editor import chat_post, htmx_preview, triage  # noqa: F401


def test_a_template_over_its_limits_shows_an_error_on_its_message(bob_client, triage):  # noqa: F811
    typed = [
        {"role": "system", "content": "Fine."},
        {"role": "user", "content": "{{ '{x:{w}}'.format_map({'x': 'a', 'w': 40000000}) }}"},
    ]

    tracemalloc.start()
    try:
        response = htmx_preview(bob_client, triage, chat_post(typed, template_format="jinja2"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert response.status_code == 200
    page = words(response)
    assert "Message 2 can't be rendered" in page
    assert "limit of 200,000" in page
    assert peak < 8 * 2**20
