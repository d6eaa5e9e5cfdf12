"""The one place text is normalised: NFC on the way in, Vietnamese folding for matching."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


def nfc(value: str) -> str:
    """Return ``value`` in Unicode NFC, the form every stored text takes."""
    return unicodedata.normalize("NFC", value)


def is_nfc(value: str) -> bool:
    return unicodedata.is_normalized("NFC", value)


def nfc_deep(value: Any) -> Any:
    """NFC-normalise every string inside nested dicts and lists (keys included)."""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, dict):
        return {nfc_deep(k): nfc_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfc_deep(v) for v in value]
    return value


def fold(value: str) -> str:
    """Lower-case ASCII form for matching: "Đà Nẵng" -> "da nang"."""
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())


def slugify(value: str, max_length: int = 100) -> str:
    """A CKAN-safe name from Vietnamese text: "Sở Giao thông Vận tải" -> "so-giao-thong-van-tai"."""
    slug = _SLUG_JUNK.sub("-", fold(value)).strip("-")
    return slug[:max_length].rstrip("-")
