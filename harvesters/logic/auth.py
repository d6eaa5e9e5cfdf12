"""Who may read what of the harvest feature: as for the source itself (its agency's editors)."""
from __future__ import annotations

from ckan.plugins import toolkit as tk
from ckan.types import AuthResult, Context, DataDict

__all__ = ["cityopendata_harvest_job_report"]


def cityopendata_harvest_job_report(context: Context, data_dict: DataDict) -> AuthResult:
    try:
        tk.check_access("harvest_source_update", context, {"id": data_dict.get("source_id")})
    except tk.NotAuthorized:
        return {"success": False, "msg": tk._("Only the agency's editors may see its harvest reports")}
    return {"success": True}
