"""Template rendering: PromptOps' engine against plain Python string formatting (the peer)."""

import timeit

from promptregistry import templating

SENTENCE = "You are a support agent for {company}. Answer {customer} about {topic}. "
TEMPLATE_FSTRING = SENTENCE * 20
TEMPLATE_MUSTACHE = TEMPLATE_FSTRING.replace("{", "{{").replace("}", "}}")
TEMPLATE_JINJA = TEMPLATE_FSTRING.replace("{", "{{ ").replace("}", " }}")
VALUES = {"company": "Acme", "customer": "Ada", "topic": "billing"}


def _per_call(fn, number: int = 2000) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def run() -> list[str]:
    peer = _per_call(lambda: TEMPLATE_FSTRING.format(**VALUES))
    lines = [f"peer str.format: {peer * 1e6:.1f} µs per render"]
    for name, template, fmt in [
        ("mustache", TEMPLATE_MUSTACHE, "mustache"),
        ("fstring", TEMPLATE_FSTRING, "fstring"),
        ("jinja2 (sandboxed)", TEMPLATE_JINJA, "jinja2"),
    ]:
        ours = _per_call(lambda t=template, f=fmt: templating.render(t, f, VALUES), number=500)
        lines.append(f"{name}: {ours * 1e6:.1f} µs per render, {ours / peer:.1f}x the peer")
    return lines
