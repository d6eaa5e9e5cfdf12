"""The city's open-data dashboard, computed from search facets and the portal's own tables.

Nothing here loads datasets one by one: every figure is a facet count of one Solr query (rows=0)
or an aggregate over a table of ours, so the cost grows with the number of agencies, not datasets.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Optional

import sqlalchemy as sa

from ckan import model
from ckan.plugins import plugin_loaded
from ckan.plugins import toolkit as tk

from ckanext.cityopendata.portal import commitments, indexing, quality, usage

log = logging.getLogger(__name__)

# The publishing feature keeps each dataset's national sync state in its own table (it does not
# index it): cityopendata_national_sync, status pending|synced|failed|withdrawn.
SYNCED = "synced"


def overdue_query() -> str:
    """Solr query for datasets whose declared update frequency says they should have been updated."""
    parts = [
        f"(update_frequency:{code} AND metadata_modified:[* TO NOW-{days}DAYS])"
        for code, days in quality.FREQUENCY_DAYS.items() if days is not None
    ]
    return "(" + " OR ".join(parts) + ")"


def declared_query() -> str:
    codes = " OR ".join(quality.FREQUENCY_DAYS)
    return f"update_frequency:({codes})"


@dataclass
class Search:
    """package_search as one user sees it, counting only (rows=0)."""

    context: dict[str, Any]
    include_private: bool = False

    def run(self, fq: str = "", facet_fields: Optional[list[str]] = None) -> dict[str, Any]:
        data_dict: dict[str, Any] = {
            "q": "*:*",
            "fq": fq,
            "rows": 0,
            "include_private": self.include_private,
            "include_drafts": self.include_private,
        }
        if facet_fields:
            data_dict.update({"facet.field": facet_fields, "facet.limit": -1, "facet.mincount": 1})
        return tk.get_action("package_search")(dict(self.context), data_dict)

    def count(self, fq: str = "") -> int:
        return int(self.run(fq)["count"])

    def per_agency(self, fq: str = "") -> dict[str, int]:
        result = self.run(fq, ["organization"])
        return indexing.facet_counts(result["search_facets"].get("organization", {}).get("items", []))


@dataclass
class AgencyRow:
    name: str
    title: str
    published: int = 0
    valid: int = 0
    overdue: int = 0
    downloads: int = 0
    api_calls: int = 0
    in_review: Optional[int] = None
    drafts: Optional[int] = None
    synced: Optional[int] = None
    harvest: Optional[str] = None
    committed: int = 0
    committed_published: int = 0


@dataclass
class Dashboard:
    detail: bool
    generated_at: str
    agencies_total: int
    agencies_publishing: int
    datasets_published: int
    datasets_valid: int
    datasets_up_to_date: int
    datasets_synced: int
    agencies: list[AgencyRow] = field(default_factory=list)
    commitments: list[dict[str, Any]] = field(default_factory=list)

    @staticmethod
    def share(part: int, whole: int) -> float:
        return round(100.0 * part / whole, 1) if whole else 0.0

    @property
    def shares(self) -> dict[str, float]:
        return {
            "agencies_publishing": self.share(self.agencies_publishing, self.agencies_total),
            "valid": self.share(self.datasets_valid, self.datasets_published),
            "up_to_date": self.share(self.datasets_up_to_date, self.datasets_published),
            "synced": self.share(self.datasets_synced, self.datasets_published),
        }


def _agencies() -> list[tuple[str, str, str]]:
    """(id, name, title) of every active agency, straight from the group table."""
    group = model.group_table
    query = sa.select(group.c.id, group.c.name, group.c.title).where(
        group.c.is_organization.is_(True), group.c.state == "active"
    ).order_by(group.c.title)
    return [(r.id, r.name, r.title or r.name) for r in model.Session.execute(query)]


def harvest_health() -> dict[str, str]:
    """{organization id: "ok" | "errors" | "never run"} from ckanext-harvest's tables, if present."""
    try:
        rows = model.Session.execute(sa.text(
            """
            SELECT p.owner_org,
                   bool_or(j.id IS NULL) AS never,
                   sum(CASE WHEN e.n > 0 THEN 1 ELSE 0 END) AS failing
            FROM harvest_source s
            JOIN package p ON p.id = s.id AND p.state = 'active'
            LEFT JOIN LATERAL (
                SELECT id FROM harvest_job WHERE source_id = s.id AND status = 'Finished'
                ORDER BY finished DESC NULLS LAST LIMIT 1) j ON true
            LEFT JOIN LATERAL (
                SELECT count(*) AS n FROM harvest_object_error oe
                JOIN harvest_object o ON o.id = oe.harvest_object_id WHERE o.harvest_job_id = j.id) e ON true
            WHERE s.active
            GROUP BY p.owner_org
            """
        ))
        out = {}
        for row in rows:
            out[row.owner_org] = "errors" if row.failing else ("never run" if row.never else "ok")
        return out
    except sa.exc.SQLAlchemyError:
        model.Session.rollback()
        log.info("harvest tables not available: no harvest health on the dashboard")
        return {}


def synced_per_agency() -> dict[str, int]:
    """{agency name: public datasets the national portal holds} from publishing's sync table."""
    if not plugin_loaded("cityopendata_publishing"):
        return {}
    from ckanext.cityopendata.publishing.model import NationalSync

    pkg, group = model.package_table, model.group_table
    query = (
        sa.select(group.c.name, sa.func.count())
        .select_from(NationalSync.__table__)
        .join(pkg, pkg.c.id == NationalSync.__table__.c.package_id)
        .join(group, group.c.id == pkg.c.owner_org)
        .where(NationalSync.__table__.c.status == SYNCED, NationalSync.__table__.c.action == "push",
               pkg.c.state == "active", pkg.c.private.is_(False), pkg.c.type == "dataset")
        .group_by(group.c.name)
    )
    return {name: int(n) for name, n in model.Session.execute(query)}


def may_see_detail(context: dict[str, Any]) -> bool:
    try:
        tk.check_access("cityopendata_dashboard_detail", dict(context), {})
        return True
    except tk.NotAuthorized:
        return False


def build(context: dict[str, Any]) -> Dashboard:
    """The dashboard for the user of ``context``: public figures for all, detail for reviewers."""
    detail = may_see_detail(context)
    public = Search({"user": "", "ignore_auth": False})  # what anyone may see, whoever asks
    agencies = _agencies()

    published = public.per_agency()
    valid = public.per_agency("validation_status:success")
    overdue = public.per_agency(overdue_query())
    up_to_date = public.count(f"{declared_query()} -{overdue_query()}")
    synced = synced_per_agency()
    used = usage.per_agency()
    tracked = commitments.tracked()
    promised = commitments.progress_per_agency(tracked)

    board = Dashboard(
        detail=detail,
        generated_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        agencies_total=len(agencies),
        agencies_publishing=sum(1 for _, name, _ in agencies if published.get(name)),
        datasets_published=sum(published.values()),
        datasets_valid=sum(valid.values()),
        datasets_up_to_date=up_to_date,
        datasets_synced=sum(synced.values()),
    )
    in_review: dict[str, int] = {}
    drafts: dict[str, int] = {}
    health: dict[str, str] = {}
    if detail:
        mine = Search(dict(context), include_private=True)
        in_review = mine.per_agency("workflow_state:submitted")
        drafts = mine.per_agency("workflow_state:draft OR state:draft")
        health = harvest_health()
    for org_id, name, title in agencies:
        row = AgencyRow(
            name=name,
            title=title,
            published=published.get(name, 0),
            valid=valid.get(name, 0),
            overdue=overdue.get(name, 0),
            downloads=used.get(org_id, {}).get("downloads", 0),
            api_calls=used.get(org_id, {}).get("api_calls", 0),
            committed=promised.get(name, (0, 0))[0],
            committed_published=promised.get(name, (0, 0))[1],
        )
        if detail:
            row.in_review = in_review.get(name, 0)
            row.drafts = drafts.get(name, 0)
            row.synced = synced.get(name, 0)
            row.harvest = health.get(org_id, "none")
        board.agencies.append(row)
    board.commitments = tracked
    return board
