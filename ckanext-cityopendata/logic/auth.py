"""Auth functions of the portal's actions, gathered from the feature modules."""
from __future__ import annotations

__all__: list[str] = []
