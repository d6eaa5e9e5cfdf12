"""The job report page: what one harvest job created, updated, skipped, withdrew and why it failed."""
from __future__ import annotations

from flask import Blueprint

from ckan.plugins import toolkit as tk

cityopendata_harvest = Blueprint("cityopendata_harvest", __name__)

__all__ = ["cityopendata_harvest"]


@cityopendata_harvest.route("/harvest/job-report/<job_id>")
def job_report(job_id: str) -> str:
    try:
        report = tk.get_action("cityopendata_harvest_job_report")({}, {"id": job_id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Harvest job not found"))
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only the agency's editors may see its harvest reports"))
    return tk.render("cityopendata_harvest/job_report.html", {"report": report})
