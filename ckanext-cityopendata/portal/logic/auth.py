"""Who may see the portal's figures."""
from __future__ import annotations

from ckan import authz
from ckan.plugins import toolkit as tk
from ckan.types import AuthResult, Context, DataDict

__all__ = ["cityopendata_dashboard_show", "cityopendata_dashboard_detail", "cityopendata_quality_show"]


@tk.auth_allow_anonymous_access
def cityopendata_dashboard_show(context: Context, data_dict: DataDict) -> AuthResult:
    """Anyone may see the public summary of the dashboard."""
    return {"success": True}


def cityopendata_dashboard_detail(context: Context, data_dict: DataDict) -> AuthResult:
    """Sysadmins (allowed before this runs) and reviewers: editors or admins of an agency."""
    user = context.get("user")
    if user and authz.has_user_permission_for_some_org(user, "update_dataset"):
        return {"success": True}
    return {"success": False, "msg": tk._("Only reviewers may see the dashboard's detail.")}


@tk.auth_allow_anonymous_access
def cityopendata_quality_show(context: Context, data_dict: DataDict) -> AuthResult:
    """Whoever may see the dataset may see its quality score."""
    try:
        tk.check_access("package_show", context, data_dict)
    except tk.NotAuthorized:
        return {"success": False, "msg": tk._("Not authorised to see this dataset.")}
    return {"success": True}
