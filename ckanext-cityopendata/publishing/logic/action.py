"""The publishing Action API: workflow, personal-data screening, national sync; plus the chained
core dataset actions that keep CKAN's private flag in step with the workflow."""
from __future__ import annotations

from typing import Any

from ckan import model
from ckan.plugins import toolkit as tk
from ckan.types import Context, DataDict

from ckanext.cityopendata.publishing import roles, screening, workflow as wf
from ckanext.cityopendata.publishing.enforcement import package_create, package_update
from ckanext.cityopendata.publishing.model import WorkflowState

__all__ = [
    "package_create",
    "package_update",
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
    if pkg is None or pkg.state == "deleted":
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    return pkg


def _required(data_dict: DataDict, *keys: str) -> None:
    missing = {k: [tk._("Missing value")] for k in keys if not data_dict.get(k)}
    if missing:
        raise tk.ValidationError(missing)


@tk.side_effect_free
def cityopendata_workflow_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The workflow state of a dataset, the steps the user may take and, for the people who may
    edit the dataset (its agency, city reviewers, sysadmins), its history.

    The history holds the reviewers' names and comments, the agency's internal working notes:
    anyone else who may see the dataset gets its state and when it was published, no ``history``.

    :param id: the id or name of the dataset
    :type id: string
    :rtype: dictionary with ``state``, ``published`` (when it was last published, ISO 8601, or
        null), ``allowed_transitions`` and, for those who may edit the dataset, ``history``
        (list of ``from_state``, ``to_state``, ``user``, ``reason``, ``created``)
    """
    _required(data_dict, "id")
    tk.check_access("cityopendata_workflow_show", context, data_dict)
    pkg = _package(data_dict)
    state = wf.state_of(pkg)
    shown: dict[str, Any] = {
        "id": pkg.id,
        "name": pkg.name,
        "state": state,
        "published": wf.published_at(pkg.id) if state == wf.PUBLISHED else None,
        "allowed_transitions": wf.allowed_targets(pkg, context.get("user")),
    }
    if context.get("ignore_auth") or roles.can_read_review_notes(context.get("user"), pkg):
        shown["history"] = wf.history(pkg.id)
    return shown


def cityopendata_workflow_transition(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Move a dataset to another workflow state.

    An agency editor submits (``submitted``); an agency admin or a city reviewer publishes
    (``published``), returns with a comment (``returned``) or withdraws (``withdrawn``).
    Publishing is refused while validation fails or personal data is found and not accepted.

    :param id: the id or name of the dataset
    :type id: string
    :param to: the target state: submitted, published, returned or withdrawn
    :type to: string
    :param reason: why (required to return or withdraw)
    :type reason: string
    :rtype: dictionary with ``from_state`` and ``state``
    """
    _required(data_dict, "id", "to")
    tk.check_access("cityopendata_workflow_transition", context, data_dict)
    pkg = _package(data_dict)
    return wf.transition(context, pkg, str(data_dict["to"]), str(data_dict.get("reason") or ""))


@tk.side_effect_free
def cityopendata_workflow_queue(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The submitted datasets the user may review.

    :rtype: list of dictionaries (``id``, ``name``, ``title``, ``owner_org``, ``updated``)
    """
    tk.check_access("cityopendata_workflow_queue", context, data_dict)
    user = context.get("user")
    rows = (
        model.Session.query(WorkflowState, model.Package)
        .join(model.Package, model.Package.id == WorkflowState.package_id)
        .filter(WorkflowState.state == wf.SUBMITTED, model.Package.state != "deleted")
        .order_by(WorkflowState.updated)
    )
    return [
        {"id": pkg.id, "name": pkg.name, "title": pkg.title, "owner_org": pkg.owner_org,
         "updated": row.updated.isoformat()}
        for row, pkg in rows
        if roles.can_publish(user, pkg.owner_org)
    ]


@tk.side_effect_free
def cityopendata_screening_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The personal-data findings of a dataset's files (masked samples only).

    :param id: the id or name of the dataset
    :type id: string
    :rtype: dictionary with ``findings``
    """
    _required(data_dict, "id")
    tk.check_access("cityopendata_screening_show", context, data_dict)
    pkg = _package(data_dict)
    return {"id": pkg.id, "findings": [f.as_dict() for f in screening.findings_of(pkg.id)]}


def cityopendata_screening_run(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Screen a resource's file for personal data now.

    :param id: the id of the resource
    :type id: string
    :rtype: dictionary with ``status``, ``rows`` and ``findings``
    """
    _required(data_dict, "id")
    tk.check_access("cityopendata_screening_run", context, data_dict)
    return screening.screen_resource(str(data_dict["id"]))


def cityopendata_screening_accept(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Accept a personal-data finding with a reason (e.g. a public hotline number).

    :param id: the id of the finding
    :type id: string
    :param reason: why publishing this column is lawful
    :type reason: string
    :rtype: dictionary (the finding)
    """
    _required(data_dict, "id")
    tk.check_access("cityopendata_screening_accept", context, data_dict)
    _required(data_dict, "reason")
    user = roles.user_object(context.get("user"))
    return screening.accept(str(data_dict["id"]), user.name if user else str(context.get("user")),
                            str(data_dict["reason"]).strip()).as_dict()


@tk.side_effect_free
def cityopendata_national_status(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The sync state of every dataset with the national portal (site administrators only).

    :rtype: dictionary with ``configured``, ``counts`` and ``datasets``
    """
    tk.check_access("cityopendata_national_status", context, data_dict)
    from ckanext.cityopendata.publishing.national import sync

    return sync.status_summary()


def cityopendata_national_sync(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Sync one dataset with the national portal now (site administrators only).

    :param id: the id or name of the dataset
    :type id: string
    :rtype: dictionary with ``outcome`` and the dataset's sync state
    """
    _required(data_dict, "id")
    tk.check_access("cityopendata_national_sync", context, data_dict)
    from ckanext.cityopendata.publishing.model import NationalSync
    from ckanext.cityopendata.publishing.national import sync

    pkg = model.Package.get(str(data_dict["id"]))
    if pkg is None:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    outcome = sync.sync_dataset(pkg.id, force=tk.asbool(data_dict.get("force", False)))
    row = model.Session.get(NationalSync, pkg.id)
    return {"outcome": outcome, "sync": row.as_dict() if row else None}
