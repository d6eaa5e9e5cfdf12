"""The report page under a resource: /dataset/<id>/resource/<resource_id>/validation."""
from __future__ import annotations

from typing import Any, cast

from flask import Blueprint

from ckan.plugins import toolkit as tk
from ckan.types import Context

__all__ = ["cityopendata_validation"]

cityopendata_validation = Blueprint("cityopendata_validation", __name__)


def report(id: str, resource_id: str) -> Any:
    context = cast(Context, {"user": tk.current_user.name if tk.current_user else ""})
    try:
        pkg = tk.get_action("package_show")(dict(context), {"id": id})
        resource = tk.get_action("resource_show")(dict(context), {"id": resource_id})
        shown = tk.get_action("cityopendata_resource_validation_show")(dict(context), {"id": resource_id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Resource not found"))
    if resource.get("package_id") != pkg["id"]:
        return tk.abort(404, tk._("Resource not found"))
    return tk.render(
        "cityopendata_validation/report.html",
        {"pkg_dict": pkg, "resource": resource, "report": shown},
    )


cityopendata_validation.add_url_rule(
    "/dataset/<id>/resource/<resource_id>/validation", view_func=report, endpoint="report"
)
