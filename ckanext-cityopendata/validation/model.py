"""The table of validation reports: one row per resource, the latest report."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ckan.plugins import toolkit as tk

STATUSES = ("pending", "running", "success", "failure", "error")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class ValidationReport(tk.BaseModel):  # type: ignore[misc,valid-type]
    __tablename__ = "cityopendata_validation_report"

    resource_id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True)
    package_id: Mapped[str] = mapped_column(sa.UnicodeText)
    status: Mapped[str] = mapped_column(sa.UnicodeText, default="pending")
    fingerprint: Mapped[Optional[str]] = mapped_column(sa.UnicodeText, nullable=True)
    file_hash: Mapped[Optional[str]] = mapped_column(sa.UnicodeText, nullable=True)
    format: Mapped[Optional[str]] = mapped_column(sa.UnicodeText, nullable=True)
    encoding: Mapped[Optional[str]] = mapped_column(sa.UnicodeText, nullable=True)
    rows: Mapped[Optional[int]] = mapped_column(sa.BigInteger, nullable=True)
    bytes: Mapped[Optional[int]] = mapped_column(sa.BigInteger, nullable=True)
    error_counts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    errors: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    warnings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    table_schema: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    message: Mapped[Optional[str]] = mapped_column(sa.UnicodeText, nullable=True)
    duration: Mapped[Optional[float]] = mapped_column(sa.Float, nullable=True)
    created: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_now)
    started: Mapped[Optional[dt.datetime]] = mapped_column(sa.DateTime(timezone=True), nullable=True)
    finished: Mapped[Optional[dt.datetime]] = mapped_column(sa.DateTime(timezone=True), nullable=True)

    def as_dict(self) -> dict[str, Any]:
        return {
            "resource_id": self.resource_id,
            "package_id": self.package_id,
            "status": self.status,
            "hash": self.file_hash,
            "format": self.format,
            "encoding": self.encoding,
            "rows": self.rows,
            "bytes": self.bytes,
            "error_counts": self.error_counts or {},
            "error_total": sum((self.error_counts or {}).values()),
            "errors": self.errors or [],
            "warnings": self.warnings or {},
            "schema": self.table_schema or {},
            "details": self.details or {},
            "message": self.message,
            "duration": self.duration,
            "created": self.created.isoformat() if self.created else None,
            "started": self.started.isoformat() if self.started else None,
            "finished": self.finished.isoformat() if self.finished else None,
        }
