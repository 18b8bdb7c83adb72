"""Markdown for what people write in the registry (comments on versions, descriptions).

markdown-it-py's CommonMark preset with raw HTML off, so `<script>` and every other tag is
shown as text. Links must be http, https or mailto: anything else (`javascript:`, `data:`,
relative paths) is left as plain text. Images are off: a comment must not load pictures from
other servers (tracking pixels) and nothing on our pages comes from the internet.
Used by the `markdown` filter in templatetags/registry.py.
"""

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markupsafe import Markup

ALLOWED_SCHEMES = ("http:", "https:", "mailto:")
LINK_REL = "nofollow noopener noreferrer"


def is_allowed_link(url: str) -> bool:
    """markdown-it hands us the normalised URL (entities decoded, percent-encoded)."""
    return url.strip().lower().startswith(ALLOWED_SCHEMES)


def _harden_links(state: StateCore) -> None:
    for block in state.tokens:
        for token in block.children or []:
            if token.type == "link_open":
                token.attrSet("rel", LINK_REL)


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False})
    md.disable("image")
    md.validateLink = is_allowed_link  # type: ignore[method-assign]
    md.core.ruler.push("harden_links", _harden_links)
    return md


_MD = _parser()


def render_markdown(text: str) -> Markup:
    """Safe HTML for `text`: markdown-it escapes everything it doesn't turn into markup."""
    return Markup(_MD.render(text or ""))  # noqa: S704 - html off, links checked above
