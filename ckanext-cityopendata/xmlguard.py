"""Find a DTD in an XML document before any parser expands it (XXE, "billion laughs").

A byte search for ``<!DOCTYPE`` misses a DTD written in UTF-16 or behind a long comment; expat
reads the prolog in whatever encoding the document declares, so the check asks expat, and stops
at the root element (a DTD can only come before it). Expat here loads nothing: no handler for
external entities is set.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Optional
from xml.parsers import expat

__all__ = ["declared_dtd"]


class _Found(Exception):
    def __init__(self, what: Optional[str]) -> None:
        self.what = what


def declared_dtd(chunks: Iterable[bytes], encoding: Optional[str] = None) -> Optional[str]:
    """What the prolog of the XML document in ``chunks`` declares (``"a DTD (<!DOCTYPE x>)"``,
    ``"an entity declaration"``), or None. A document expat cannot read is not judged: None.
    ``encoding`` overrides the one the document declares (for text already decoded and re-encoded)."""
    parser = expat.ParserCreate(encoding)

    def doctype(name: str, system_id: Optional[str], public_id: Optional[str], internal: int) -> None:
        raise _Found(f"a DTD (<!DOCTYPE {name[:50]}>)")

    def entity(*args: object) -> None:
        raise _Found("an entity declaration")

    def root(*args: object) -> None:
        raise _Found(None)

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.StartElementHandler = root
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Found as found:
        return found.what
    except expat.ExpatError:
        return None
    return None
