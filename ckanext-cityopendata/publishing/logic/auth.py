"""Who may call the publishing actions."""
from __future__ import annotations

from ckan import authz, model
from ckan.plugins import toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.cityopendata.publishing import roles
from ckanext.cityopendata.publishing.model import ScreeningFinding

__all__ = [
    "cityopendata_workflow_show",
    "cityopendata_workflow_transition",
    "cityopendata_workflow_queue",
    "cityopendata_screening_show",
    "cityopendata_screening_run",
    "cityopendata_screening_accept",
    "cityopendata_national_status",
    "cityopendata_national_sync",
]


def _package(data_dict: DataDict) -> model.Package:
    pkg = model.Package.get(data_dict.get("id") or "")
    if pkg is None:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    return pkg


def _refused() -> AuthResult:
    return {"success": False, "msg": tk._("You are not allowed to do this.")}


@tk.auth_allow_anonymous_access
def cityopendata_workflow_show(context: Context, data_dict: DataDict) -> AuthResult:
    """Anyone who may see the dataset sees its state; the action gives the history (reviewers'
    names and comments) only to those who may edit it (``roles.can_read_review_notes``)."""
    return authz.is_authorized("package_show", context, {"id": data_dict.get("id")})


def cityopendata_workflow_transition(context: Context, data_dict: DataDict) -> AuthResult:
    pkg = _package(data_dict)
    if roles.can_submit(context.get("user"), pkg.owner_org):
        return {"success": True}
    return _refused()


def cityopendata_workflow_queue(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": bool(context.get("user") and roles.user_object(context.get("user")))}


def cityopendata_screening_show(context: Context, data_dict: DataDict) -> AuthResult:
    pkg = _package(data_dict)
    if roles.can_submit(context.get("user"), pkg.owner_org):
        return {"success": True}
    return _refused()


def cityopendata_screening_run(context: Context, data_dict: DataDict) -> AuthResult:
    resource = model.Resource.get(data_dict.get("id") or "")
    if resource is None:
        raise tk.ObjectNotFound(tk._("Resource not found"))
    return cityopendata_screening_show(context, {"id": resource.package_id})


def cityopendata_screening_accept(context: Context, data_dict: DataDict) -> AuthResult:
    finding = model.Session.get(ScreeningFinding, data_dict.get("id") or "")
    if finding is None:
        raise tk.ObjectNotFound(tk._("No such screening finding"))
    pkg = model.Package.get(finding.package_id)
    if pkg is not None and roles.can_publish(context.get("user"), pkg.owner_org):
        return {"success": True}
    return _refused()


def cityopendata_national_status(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": False, "msg": tk._("Only the city's site administrators may see the national sync.")}


def cityopendata_national_sync(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": False, "msg": tk._("Only the city's site administrators may run the national sync.")}
