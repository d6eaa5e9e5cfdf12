"""Plug points of publishing: where published datasets are pushed to.

A national target receives a city dataset already mapped to a neutral form (``NationalDataset``)
and answers with the id the dataset has there. The CKAN API of the national portal is the one
target today (``national/ckan_target.py``); another national API is added by a plugin implementing
``ICityOpenDataNationalTarget`` and naming it in ``ckanext.cityopendata.national.target``, without
touching the workflow or the sync state.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional, Protocol

from ckan.plugins.interfaces import Interface


class TargetError(Exception):
    """A push or withdrawal failed; ``transient`` errors are worth retrying soon. The message must
    be safe to show to a person (never the credentials)."""

    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass
class NationalDataset:
    """A city dataset as the national side should see it."""

    source_id: str
    name: str
    title: str
    notes: str
    agency_name: str
    agency_title: str
    agency_description: str = ""
    license_id: str = ""
    tags: list[str] = field(default_factory=list)
    landing_page: str = ""
    contact_name: str = ""
    contact_email: str = ""
    extras: dict[str, str] = field(default_factory=dict)
    resources: list[dict[str, str]] = field(default_factory=list)


class NationalTarget(Protocol):
    """The contract every push target fulfils."""

    name: str

    def push(self, dataset: NationalDataset, remote_id: Optional[str]) -> str:
        """Create or update the dataset there (idempotent); return its remote id."""

    def withdraw(self, source_id: str, name: str, remote_id: Optional[str]) -> None:
        """Take the dataset out of public view there; doing it twice is harmless."""


class ICityOpenDataNationalTarget(Interface):
    """Offer more national push targets."""

    def national_targets(self) -> dict[str, Callable[[], NationalTarget]]:
        """Target factories by the name used in ``ckanext.cityopendata.national.target``."""
        return {}


__all__ = ["ICityOpenDataNationalTarget", "NationalDataset", "NationalTarget", "TargetError"]
