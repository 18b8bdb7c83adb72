"""Leaf-by-leaf diff of two model configs (JSON objects)."""

import json
import re
from collections.abc import Mapping
from typing import Any

from .models import MISSING, ConfigChange

_PLAIN_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _key_path(path: str, key: Any) -> str:
    key = str(key)
    if _PLAIN_KEY_RE.fullmatch(key):
        return f"{path}.{key}" if path else key
    # Keys with dots, spaces etc. are quoted so the path stays unambiguous: a["x.y"].
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _same_value(old: Any, new: Any) -> bool:
    # JSON has one number type, so 1 and 1.0 are the same; but True == 1 in Python, and
    # `stream: 1` -> `stream: true` is a real change.
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    return old == new


def _walk_config(old: Any, new: Any, path: str, out: list[ConfigChange]) -> None:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        # The old order first, then keys only the new version has: reads like the JSON.
        keys = list(old) + [key for key in new if key not in old]
        for key in keys:
            _walk_config(old.get(key, MISSING), new.get(key, MISSING), _key_path(path, key), out)
    elif isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            _walk_config(
                old[index] if index < len(old) else MISSING,
                new[index] if index < len(new) else MISSING,
                f"{path}[{index}]",
                out,
            )
    elif old is MISSING:
        out.append(ConfigChange(path=path, old=MISSING, new=new, kind="added"))
    elif new is MISSING:
        out.append(ConfigChange(path=path, old=old, new=MISSING, kind="removed"))
    elif not _same_value(old, new):
        out.append(ConfigChange(path=path, old=old, new=new, kind="changed"))


def diff_config(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[ConfigChange, ...]:
    """Leaf-level changes; a key added or removed with a whole object is one change."""
    changes: list[ConfigChange] = []
    _walk_config(old or {}, new or {}, "", changes)
    return tuple(changes)
