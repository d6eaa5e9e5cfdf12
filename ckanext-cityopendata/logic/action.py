"""The Action API of the portal: each feature module's actions, gathered for the plugin."""
from __future__ import annotations

__all__: list[str] = []
