"""Who may see and run validations: as for reading and for editing the resource."""
from __future__ import annotations

from typing import cast

from ckan.plugins import toolkit as tk
from ckan.types import AuthResult, Context, DataDict

__all__ = ["cityopendata_resource_validation_show", "cityopendata_resource_validation_run"]


def _as(auth: str, context: Context, data_dict: DataDict) -> AuthResult:
    try:
        tk.check_access(auth, cast(Context, dict(context)), {"id": data_dict.get("id")})
    except tk.NotAuthorized:
        return {"success": False, "msg": tk._("Not authorized to see or validate this resource")}
    except tk.ObjectNotFound:
        return {"success": False, "msg": tk._("Resource not found")}
    return {"success": True}


@tk.auth_allow_anonymous_access
def cityopendata_resource_validation_show(context: Context, data_dict: DataDict) -> AuthResult:
    return _as("resource_show", context, data_dict)


def cityopendata_resource_validation_run(context: Context, data_dict: DataDict) -> AuthResult:
    return _as("resource_update", context, data_dict)
