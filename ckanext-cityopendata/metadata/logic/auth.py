"""Auth of the schema actions: vocabularies and Table Schemas are public reference data."""

from __future__ import annotations

from ckan.plugins import toolkit as tk
from ckan.types import AuthResult, Context, DataDict

__all__ = [
    "cityopendata_vocabulary_list",
    "cityopendata_vocabulary_show",
    "cityopendata_table_schema_list",
    "cityopendata_table_schema_show",
]


@tk.auth_allow_anonymous_access
def cityopendata_vocabulary_list(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


@tk.auth_allow_anonymous_access
def cityopendata_vocabulary_show(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


@tk.auth_allow_anonymous_access
def cityopendata_table_schema_list(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


@tk.auth_allow_anonymous_access
def cityopendata_table_schema_show(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}
