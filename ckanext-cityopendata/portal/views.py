"""Pages of the portal: quality criteria, open-data dashboard and its exports, developer corner."""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Optional, Sequence

from flask import Blueprint, Response, request, stream_with_context

from ckan import model
from ckan.plugins import toolkit as tk

from ckanext.cityopendata.portal import exports, quality, ratelimit, usage
from ckanext.cityopendata.portal.model import ShowcaseApp

__all__ = ["cityopendata_portal"]

cityopendata_portal = Blueprint("cityopendata_portal", __name__)
cityopendata_portal.after_app_request(usage.count_request)
# App-wide hooks: blueprints are registered after CKAN's own before_request, so the user is known here.
cityopendata_portal.before_app_request(ratelimit.limit_api_request)
cityopendata_portal.after_app_request(ratelimit.add_rate_limit_headers)


def _context() -> dict[str, Any]:
    return {"user": tk.current_user.name if tk.current_user and tk.current_user.is_authenticated else ""}


def quality_criteria() -> str:
    criteria = [
        {"code": c.code, "points": c.points, "label": tk._(c.label), "explanation": tk._(c.explanation)}
        for c in quality.CRITERIA
    ]
    return tk.render("cityopendata/quality.html", {"criteria": criteria, "max_score": quality.MAX_SCORE,
                                                   "frequencies": quality.FREQUENCY_DAYS,
                                                   "formats": sorted(quality.OPEN_MACHINE_FORMATS)})


def _board() -> dict[str, Any]:
    return tk.get_action("cityopendata_dashboard_show")(_context(), {})


def dashboard_page() -> str:
    return tk.render("cityopendata/dashboard.html", {"board": _board()})


def _table(board: dict[str, Any], name: str) -> tuple[Sequence[str], list[list[Any]]]:
    """A table of the dashboard as headings and rows (detail columns only when the user may see them)."""
    if name == "summary":
        headings = [tk._("Measure"), tk._("Count"), tk._("Share (%)")]
        s = board["shares"]
        rows = [
            [tk._("Agencies publishing open data"), board["agencies_publishing"], s["agencies_publishing"]],
            [tk._("Published datasets"), board["datasets_published"], 100.0 if board["datasets_published"] else 0.0],
            [tk._("Valid datasets"), board["datasets_valid"], s["valid"]],
            [tk._("Datasets up to date"), board["datasets_up_to_date"], s["up_to_date"]],
            [tk._("Datasets synced with the national portal"), board["datasets_synced"], s["synced"]],
        ]
        return headings, rows
    if name == "agencies":
        keys = ["title", "name", "published", "valid", "overdue", "downloads", "api_calls", "committed",
                "committed_published"]
        labels = [tk._("Agency"), tk._("Code"), tk._("Published"), tk._("Valid"), tk._("Overdue"),
                  tk._("Downloads"), tk._("API calls"), tk._("Committed"), tk._("Committed and published")]
        if board["detail"]:
            keys += ["in_review", "drafts", "synced", "harvest"]
            labels += [tk._("In review"), tk._("Drafts"), tk._("Synced nationally"), tk._("Harvest health")]
        rows = [[row.get(k) for k in keys] for row in board["agencies"]]
        if board["detail"]:
            for row in rows:
                row[-1] = tk.h.cityopendata_portal_harvest_label(row[-1])
        return labels, rows
    if name == "commitments":
        keys = ["agency", "title", "dataset_name", "status", "publish_by", "review_by", "review_overdue",
                "update_frequency", "last_update"]
        labels = [tk._("Agency"), tk._("Dataset"), tk._("Code"), tk._("Status"), tk._("Publish by"),
                  tk._("Review by"), tk._("Review overdue"), tk._("Update frequency"), tk._("Last update")]
        return labels, [[row.get(k) for k in keys] for row in board["commitments"]]
    return tk.abort(404, tk._("No such table"))


def dashboard_export(table: str, fmt: str) -> Response:
    headings, rows = _table(_board(), table)
    stamp = dt.date.today().isoformat()
    filename = f"cityopendata-{table}-{stamp}.{fmt}"
    if fmt == "csv":
        body: Any = exports.to_csv(headings, rows)
        mimetype = "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = exports.to_xlsx(headings, rows, title=table)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        return tk.abort(404, tk._("Unknown format"))
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _organization_param() -> Optional[str]:
    name = request.args.get("organization") or None
    if name and not model.Group.by_name(name):
        tk.abort(404, tk._("Agency not found"))
    return name


def catalogue_export(fmt: str) -> Response:
    organization = _organization_param()
    makers: dict[str, tuple[Callable[[Optional[str]], Any], str]] = {
        "csv": (exports.stream_csv, "text/csv; charset=utf-8"),
        "jsonl": (exports.stream_jsonl, "application/x-ndjson; charset=utf-8"),
    }
    if fmt not in makers:
        return tk.abort(404, tk._("Unknown format"))
    make, mimetype = makers[fmt]
    filename = f"catalogue{'-' + organization if organization else ''}.{fmt}"
    return Response(stream_with_context(make(organization)), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def developers() -> str:
    agencies = tk.get_action("organization_list")({}, {"all_fields": True, "limit": 1000})
    return tk.render("cityopendata/developers.html", {
        "agencies": agencies,
        "rate_limit": ratelimit.announced_limit(),
        "site": tk.config.get("ckan.site_url").rstrip("/"),
    })


def showcase() -> str:
    apps = model.Session.query(ShowcaseApp).order_by(ShowcaseApp.created_at.desc()).all()
    return tk.render("cityopendata/showcase.html", {"apps": apps})


cityopendata_portal.add_url_rule("/quality", view_func=quality_criteria, endpoint="quality")
cityopendata_portal.add_url_rule("/open-data", view_func=dashboard_page, endpoint="dashboard")
cityopendata_portal.add_url_rule("/open-data/export/<table>.<fmt>", view_func=dashboard_export,
                                 endpoint="dashboard_export")
cityopendata_portal.add_url_rule("/catalogue/export.<fmt>", view_func=catalogue_export, endpoint="catalogue_export")
cityopendata_portal.add_url_rule("/developers", view_func=developers, endpoint="developers")
cityopendata_portal.add_url_rule("/showcase", view_func=showcase, endpoint="showcase")
