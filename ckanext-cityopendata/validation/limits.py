"""The budget one validation may spend: bytes, rows, errors kept, seconds, keys, line length."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Mapping

PREFIX = "ckanext.cityopendata.validation."


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 100 * 1024 * 1024
    max_rows: int = 2_000_000
    max_errors: int = 100
    max_seconds: float = 300.0
    max_unique_keys: int = 1_000_000
    max_line_bytes: int = 1024 * 1024
    max_unzipped_bytes: int = 200 * 1024 * 1024
    max_zip_ratio: int = 100
    workers: int = 2
    parallel_min_bytes: int = 8 * 1024 * 1024
    chunk_bytes: int = 2 * 1024 * 1024

    @classmethod
    def from_config(cls) -> "Limits":
        """The limits set in CKAN's config, read at call time."""
        from ckan.plugins import toolkit as tk

        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = tk.config.get(PREFIX + f.name)
            if raw is not None:
                values[f.name] = float(raw) if f.type == "float" else int(raw)
        return cls(**values)

    def bounded(self, options: Mapping[str, Any]) -> "Limits":
        """These limits, lowered (never raised) by user-supplied options of the allow-list."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in USER_OPTIONS:
            if name in options and options[name] not in (None, ""):
                try:
                    wanted = type(values[name])(options[name])
                except (TypeError, ValueError) as error:
                    raise ValueError(f"{name} must be a number") from error
                if wanted <= 0:
                    raise ValueError(f"{name} must be positive")
                values[name] = min(values[name], wanted)
        return Limits(**values)


# The only options a user may pass to a validation run; each can only lower the configured limit.
USER_OPTIONS = ("max_rows", "max_errors", "max_seconds")
