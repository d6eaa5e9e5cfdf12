"""Reading the fields of our dataset schema from a dataset dict."""
from __future__ import annotations

from typing import Any


def value_of(d: dict[str, Any], key: str) -> Any:
    """A field of our schema, whether scheming made it top-level or it sits in the free extras."""
    if d.get(key) not in (None, "", []):
        return d[key]
    for extra in d.get("extras") or []:
        if extra.get("key") == key:
            return extra.get("value")
    return None
