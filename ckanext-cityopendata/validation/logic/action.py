"""Action API of validation: show a resource's report, run a validation, and the publication gate."""
from __future__ import annotations

import datetime as dt
from typing import Any, cast

from ckan import authz, model
from ckan.plugins import toolkit as tk
from ckan.types import Action, Context, DataDict

from ckanext.cityopendata.validation import gate, jobs, store
from ckanext.cityopendata.validation.limits import USER_OPTIONS, Limits

__all__ = [
    "cityopendata_resource_validation_show",
    "cityopendata_resource_validation_run",
    "package_update",
]


def _resource_id(data_dict: DataDict) -> str:
    resource_id = data_dict.get("id") or data_dict.get("resource_id")
    if not resource_id or not isinstance(resource_id, str):
        raise tk.ValidationError({"id": [tk._("Missing value")]})
    return resource_id


@tk.side_effect_free
def cityopendata_resource_validation_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The latest validation report of a resource.

    Visible to whoever may see the resource (a private dataset's reports stay private).

    :param id: the id of the resource
    :type id: string
    :rtype: dictionary (status: pending, running, success, failure, error or none; error_counts;
        errors with row, field and message; rows; bytes; encoding; hash; schema; duration; timestamps)
    """
    resource_id = _resource_id(data_dict)
    tk.check_access("cityopendata_resource_validation_show", context, {"id": resource_id})
    row = store.get(resource_id)
    if row is None:
        return {"resource_id": resource_id, "status": "none", "errors": [], "error_counts": {}}
    report = row.as_dict()
    if row.status == "running" and row.started is not None:
        budget = dt.timedelta(seconds=float(Limits.from_config().max_seconds) * 2 + 60)
        if dt.datetime.now(dt.timezone.utc) - row.started > budget:
            report["status"] = "error"
            report["message"] = tk._("The validation job was interrupted; run it again.")
    return report


def cityopendata_resource_validation_run(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Queue a validation of a resource (or run it now with ``sync``).

    Allowed to whoever may edit the resource.

    :param id: the id of the resource
    :type id: string
    :param force: validate even when the file has not changed (default false)
    :type force: bool
    :param sync: validate in this request instead of the job queue (sysadmins only; default false)
    :type sync: bool
    :param max_rows: stop after this many rows (can only lower the portal's limit)
    :type max_rows: int
    :param max_errors: keep this many errors (can only lower the portal's limit)
    :type max_errors: int
    :param max_seconds: stop after this many seconds (can only lower the portal's limit)
    :type max_seconds: int
    :rtype: dictionary, the report (status pending when queued)
    """
    resource_id = _resource_id(data_dict)
    tk.check_access("cityopendata_resource_validation_run", context, {"id": resource_id})
    tk.get_action("resource_show")(cast(Context, dict(context, ignore_auth=True)), {"id": resource_id})
    force = tk.asbool(data_dict.get("force", False))
    if not jobs.tabular_resources_by_id(resource_id):
        raise tk.ValidationError({"format": [tk._("This resource is not a table the portal validates")]})
    res = jobs.tabular_resources_by_id(resource_id)[0]
    options = {name: data_dict[name] for name in USER_OPTIONS if name in data_dict}
    try:
        limits = Limits.from_config().bounded(options)
    except ValueError as error:
        raise tk.ValidationError({"options": [str(error)]}) from error
    sync = tk.asbool(data_dict.get("sync", False))
    if sync and not authz.is_sysadmin(context.get("user")):
        raise tk.NotAuthorized(tk._("Only sysadmins may validate in the request"))
    store.mark_pending(resource_id, res["package_id"], jobs.fingerprint(res))
    model.Session.commit()
    if sync:
        jobs.validate_resource(resource_id, force=force, limits=limits)
    else:
        jobs.enqueue(resource_id, force=force, options=options)
    return cityopendata_resource_validation_show(context, {"id": resource_id})


@tk.chained_action
def package_update(original_action: Action, context: Context, data_dict: DataDict) -> Any:
    """Core's package_update, refused when it would make a failing dataset public (the gate)."""
    for res in data_dict.get("resources") or []:
        if isinstance(res, dict):
            res.pop("validation_status", None)
    gate.check_going_public(data_dict)
    return original_action(context, data_dict)
