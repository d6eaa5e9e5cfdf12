"""Input schemas of the Action API."""

from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator


@validator_args
def vocabulary_show(not_empty: Validator, unicode_safe: Validator, ignore_missing: Validator) -> Schema:
    return {"id": [not_empty, unicode_safe], "province": [ignore_missing, unicode_safe]}


@validator_args
def table_schema_show(not_empty: Validator, unicode_safe: Validator) -> Schema:
    return {"id": [not_empty, unicode_safe]}


@validator_args
def table_schema_list(ignore_missing: Validator, boolean_validator: Validator) -> Schema:
    return {"all_versions": [ignore_missing, boolean_validator]}
