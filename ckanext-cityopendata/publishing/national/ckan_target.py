"""The national portal's CKAN Action API as a push target (ckanapi over the guarded session)."""
from __future__ import annotations

from typing import Any, Optional

import ckanapi
import requests

from ckan.plugins import toolkit as tk

from ckanext.cityopendata.net import FetchError, FetchPolicy, GuardedSession
from ckanext.cityopendata.publishing.interfaces import NationalDataset, TargetError


class CkanNationalTarget:
    """Pushes to a stock CKAN: agency → organisation, dataset → dataset, resources as links."""

    name = "ckan"

    def __init__(self, url: Optional[str] = None, token: Optional[str] = None) -> None:
        self.url = (url or tk.config.get("ckanext.cityopendata.national.url") or "").rstrip("/")
        self._token = token if token is not None else tk.config.get("ckanext.cityopendata.national.api_token") or ""
        if not self.url:
            raise TargetError(tk._("The national portal's URL is not configured."))
        self.session = GuardedSession(FetchPolicy.from_config())
        self.api = ckanapi.RemoteCKAN(self.url, apikey=self._token or None, session=self.session,
                                      user_agent="ckanext-cityopendata national sync")
        self._organisations: set[str] = set()

    def __repr__(self) -> str:  # never show the token
        return f"CkanNationalTarget({self.url!r})"

    def scrub(self, message: str) -> str:
        return message.replace(self._token, "[token]") if self._token else message

    def _call(self, action: str, **data: Any) -> Any:
        try:
            return getattr(self.api.action, action)(**data)
        except ckanapi.NotFound:
            raise
        except ckanapi.ValidationError as error:
            raise TargetError(self.scrub(f"{action}: the national portal refused the data: {error.error_dict}"))
        except ckanapi.NotAuthorized:
            raise TargetError(self.scrub(f"{action}: the national portal refused our API token"))
        except (requests.ConnectionError, requests.Timeout, FetchError) as error:
            raise TargetError(self.scrub(f"{action}: the national portal cannot be reached ({type(error).__name__})"),
                              transient=True)
        except (ckanapi.CKANAPIError, requests.RequestException) as error:
            raise TargetError(self.scrub(f"{action}: the national portal answered with an error: {str(error)[:300]}"),
                              transient=True)

    def _ensure_organisation(self, dataset: NationalDataset) -> None:
        if dataset.agency_name in self._organisations:
            return
        try:
            self._call("organization_show", id=dataset.agency_name)
        except ckanapi.NotFound:
            self._call("organization_create", name=dataset.agency_name, title=dataset.agency_title,
                       description=dataset.agency_description)
        self._organisations.add(dataset.agency_name)

    def _payload(self, dataset: NationalDataset) -> dict[str, Any]:
        return {
            "name": dataset.name,
            "title": dataset.title,
            "notes": dataset.notes,
            "owner_org": dataset.agency_name,
            "license_id": dataset.license_id,
            "url": dataset.landing_page,
            "maintainer": dataset.contact_name,
            "maintainer_email": dataset.contact_email,
            "private": False,
            "state": "active",
            "tags": [{"name": t} for t in dataset.tags],
            "extras": [{"key": k, "value": v} for k, v in sorted(dataset.extras.items())],
            "resources": [
                {"name": r["name"], "description": r["description"], "format": r["format"], "url": r["url"]}
                for r in dataset.resources
            ],
        }

    def _find(self, dataset: NationalDataset, remote_id: Optional[str]) -> Optional[dict[str, Any]]:
        for key in [k for k in (remote_id, dataset.name) if k]:
            try:
                found = self._call("package_show", id=key)
            except ckanapi.NotFound:
                continue
            extras = {e["key"]: e["value"] for e in found.get("extras") or []}
            if extras.get("city_dataset_id") == dataset.source_id:
                return found
            raise TargetError(tk._("The name {name} is taken on the national portal by another dataset.").format(
                name=dataset.name))
        return None

    def push(self, dataset: NationalDataset, remote_id: Optional[str]) -> str:
        self._ensure_organisation(dataset)
        payload = self._payload(dataset)
        if remote_id is None:
            try:
                return str(self._call("package_create", **payload)["id"])
            except TargetError as error:
                if "already in use" not in str(error):
                    raise
        existing = self._find(dataset, remote_id)
        if existing is None:
            return str(self._call("package_create", **payload)["id"])
        payload["id"] = existing["id"]
        return str(self._call("package_update", **payload)["id"])

    def withdraw(self, source_id: str, name: str, remote_id: Optional[str]) -> None:
        for key in [k for k in (remote_id, name) if k]:
            try:
                found = self._call("package_show", id=key)
            except ckanapi.NotFound:
                continue
            extras = {e["key"]: e["value"] for e in found.get("extras") or []}
            if extras.get("city_dataset_id") != source_id:
                continue
            if found.get("state") != "deleted":
                self._call("package_delete", id=found["id"])
            return
