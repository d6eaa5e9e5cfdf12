"""The portal's tables: link checks, usage counters, the city's approved open-data list, showcase apps."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ckan.plugins import toolkit as tk

__all__ = ["LinkCheck", "Usage", "Commitment", "ShowcaseApp"]


def _uuid() -> str:
    return str(uuid.uuid4())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class LinkCheck(tk.BaseModel):  # type: ignore[misc, valid-type]
    """The last answer of a resource's URL (HEAD or GET through the guarded fetch)."""

    __tablename__ = "cityopendata_link_check"
    resource_id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True)
    package_id: Mapped[str] = mapped_column(sa.UnicodeText, index=True)
    ok: Mapped[bool] = mapped_column(sa.Boolean)
    detail: Mapped[str] = mapped_column(sa.UnicodeText, default="")
    checked_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_now)


class Usage(tk.BaseModel):  # type: ignore[misc, valid-type]
    """Downloads and API calls per dataset and day. No user, address or agent is stored."""

    __tablename__ = "cityopendata_usage"
    package_id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    owner_org: Mapped[Optional[str]] = mapped_column(sa.UnicodeText, index=True, nullable=True)
    downloads: Mapped[int] = mapped_column(sa.Integer, default=0)
    api_calls: Mapped[int] = mapped_column(sa.Integer, default=0)


class Commitment(tk.BaseModel):  # type: ignore[misc, valid-type]
    """One line of the city's approved open-data list: a dataset an agency committed to publish."""

    __tablename__ = "cityopendata_commitment"
    id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True, default=_uuid)
    agency: Mapped[str] = mapped_column(sa.UnicodeText, index=True)  # organization name
    title: Mapped[str] = mapped_column(sa.UnicodeText)
    dataset_name: Mapped[Optional[str]] = mapped_column(sa.UnicodeText, nullable=True, unique=True)
    publish_by: Mapped[Optional[dt.date]] = mapped_column(sa.Date, nullable=True)
    review_by: Mapped[Optional[dt.date]] = mapped_column(sa.Date, nullable=True)
    update_frequency: Mapped[Optional[str]] = mapped_column(sa.UnicodeText, nullable=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    imported_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_now)


class ShowcaseApp(tk.BaseModel):  # type: ignore[misc, valid-type]
    """An application built on the portal's data, shown in the showcase."""

    __tablename__ = "cityopendata_showcase_app"
    id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True, default=_uuid)
    title: Mapped[str] = mapped_column(sa.UnicodeText)
    url: Mapped[str] = mapped_column(sa.UnicodeText)
    description: Mapped[str] = mapped_column(sa.UnicodeText, default="")
    author: Mapped[str] = mapped_column(sa.UnicodeText, default="")
    datasets: Mapped[list[str]] = mapped_column(JSONB, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_now)
