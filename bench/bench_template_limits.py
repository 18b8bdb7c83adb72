"""Jinja2 render limits: the guarded sandbox against Jinja2's own immutable sandbox (the peer).

The guarded sandbox checks every call, filter, operator, literal and comparison against
the size limits and charges a per-render budget (see promptregistry/templating/sandbox.py);
the peer runs the same templates with none of that, and no time limit either.
"""

import timeit

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from promptregistry import templating

SENTENCE = "You are a support agent for {{ company }}. Answer {{ customer }} about {{ topic }}. "

TEMPLATES = {
    "substitution only": SENTENCE * 20,
    "loops, filters and str methods": (
        "{% macro cite(doc) %}[{{ doc.id }}] {{ doc.title|title }}{% endmacro %}"
        "{% set ns = namespace(total=0) %}"
        "Answer {{ customer|upper }} about {{ topic.replace('_', ' ') }}.\n"
        "{% for doc in docs %}"
        "{{ loop.index }}. {{ cite(doc) }}: {{ doc.body|truncate(60) }}"
        " ({{ '{:.1f}'.format(doc.score) }}, {{ '%3d' % doc.id }})"
        "{% if doc.tags and 'urgent' in doc.tags %} URGENT{% endif %}\n"
        "{% set ns.total = ns.total + doc.score %}"
        "{% endfor %}"
        "Tags: {{ docs|map(attribute='tags')|map('join', '/')|join(', ') }}\n"
        "{% set footer %}Total {{ '%.2f'|format(ns.total) }}{% endset %}{{ footer|center(30) }}"
    ),
}
VALUES = {
    "company": "Acme",
    "customer": "Ada",
    "topic": "billing_dispute",
    "docs": [
        {
            "id": i,
            "title": f"refund policy part {i}",
            "body": "lorem ipsum dolor sit amet " * 6,
            "score": i / 7,
            "tags": ["urgent", "billing"] if i % 3 == 0 else ["billing"],
        }
        for i in range(30)
    ],
}


def _per_call(fn, number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def run() -> list[str]:
    peer_environment = ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
    )
    lines = []
    for name, source in TEMPLATES.items():
        compiled = peer_environment.from_string(source)
        expected = compiled.render(VALUES)
        assert templating.render(source, "jinja2", VALUES) == expected  # noqa: S101
        number = 2000 if "only" in name else 300
        peer = _per_call(lambda c=compiled: c.render(VALUES), number)
        ours = _per_call(lambda s=source: templating.render(s, "jinja2", VALUES), number)
        lines.append(
            f"{name}: {ours * 1e6:.1f} µs per render, peer {peer * 1e6:.1f} µs,"
            f" {ours / peer:.2f}x the peer"
        )
    return lines
