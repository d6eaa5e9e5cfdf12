"""The publishing tables: workflow state and history, screening findings, national sync state."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Optional

from sqlalchemy import DateTime, Integer, Text, Boolean
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ckan.plugins import toolkit as tk


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def new_id() -> str:
    return str(uuid.uuid4())


class WorkflowState(tk.BaseModel):  # type: ignore[misc, valid-type]
    """The current workflow state of a dataset (one row a dataset)."""

    __tablename__ = "cityopendata_workflow_state"

    package_id: Mapped[str] = mapped_column(Text, primary_key=True)
    state: Mapped[str] = mapped_column(Text, nullable=False)
    submitted_by: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    updated: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)


class WorkflowTransition(tk.BaseModel):  # type: ignore[misc, valid-type]
    """One step of a dataset's workflow: who moved it, when, why, from which state to which."""

    __tablename__ = "cityopendata_workflow_transition"

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    package_id: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    from_state: Mapped[str] = mapped_column(Text, nullable=False)
    to_state: Mapped[str] = mapped_column(Text, nullable=False)
    user_id: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    user_name: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "package_id": self.package_id,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "user": self.user_name,
            "reason": self.reason,
            "created": self.created.isoformat(),
        }


class ScreeningFinding(tk.BaseModel):  # type: ignore[misc, valid-type]
    """A column of a resource that looks like personal data; never holds a raw value."""

    __tablename__ = "cityopendata_screening_finding"

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    package_id: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    resource_id: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    column: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    sample: Mapped[str] = mapped_column(Text, nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    accepted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    accepted_by: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    accepted_reason: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    accepted_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True), nullable=True)
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "package_id": self.package_id,
            "resource_id": self.resource_id,
            "column": self.column,
            "kind": self.kind,
            "count": self.count,
            "sample": self.sample,
            "accepted": self.accepted,
            "accepted_by": self.accepted_by,
            "accepted_reason": self.accepted_reason,
            "accepted_at": self.accepted_at.isoformat() if self.accepted_at else None,
            "checked_at": self.checked_at.isoformat(),
        }


class ScreeningRun(tk.BaseModel):  # type: ignore[misc, valid-type]
    """When a resource was last screened, and against which version of its file."""

    __tablename__ = "cityopendata_screening_run"

    resource_id: Mapped[str] = mapped_column(Text, primary_key=True)
    package_id: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    fingerprint: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    error: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)


class NationalSync(tk.BaseModel):  # type: ignore[misc, valid-type]
    """Where a dataset stands with the national portal."""

    __tablename__ = "cityopendata_national_sync"

    package_id: Mapped[str] = mapped_column(Text, primary_key=True)
    package_name: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(Text, nullable=False)  # pending|synced|failed|withdrawn
    action: Mapped[str] = mapped_column(Text, nullable=False, default="push")  # push|withdraw
    error: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_attempt: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True), nullable=True)
    last_synced: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True), nullable=True)
    next_attempt: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True), nullable=True)
    remote_id: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    payload_hash: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)

    def as_dict(self) -> dict[str, Any]:
        def iso(value: Optional[dt.datetime]) -> Optional[str]:
            return value.isoformat() if value else None

        return {
            "package_id": self.package_id,
            "package_name": self.package_name,
            "status": self.status,
            "action": self.action,
            "error": self.error,
            "attempts": self.attempts,
            "last_attempt": iso(self.last_attempt),
            "last_synced": iso(self.last_synced),
            "next_attempt": iso(self.next_attempt),
            "remote_id": self.remote_id,
        }
