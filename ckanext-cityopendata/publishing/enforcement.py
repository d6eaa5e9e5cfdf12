"""Keeps CKAN's private flag and the workflow in step, whichever way a dataset is changed.

``package_create`` and ``package_update`` (and so ``package_patch``, ``package_revise`` and the
organisation's bulk make-public/private) are chained: making a dataset public outside the workflow
is refused to agency editors, checked against the publication gate for agency admins and city
reviewers, and follows the harvest source's ``publish_policy`` for harvested datasets; making a
published dataset private withdraws it. The decision is recorded by the dataset hooks in the same
database transaction as the change itself, so the search index sees the new state.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Optional

from ckan import model
from ckan.plugins import plugin_loaded
from ckan.plugins import toolkit as tk
from ckan.types import Action, Context, DataDict

from ckanext.cityopendata.publishing import gate, roles, workflow as wf

log = logging.getLogger(__name__)


def is_system(context: Context) -> bool:
    """Sysadmins and internal callers (harvesters, factories, jobs) may publish directly."""
    if context.get("ignore_auth"):
        return True
    user = roles.user_object(context.get("user"))
    return bool(user is not None and user.sysadmin)


def harvest_policy(package_id: Optional[str]) -> Optional[tuple[str, str]]:
    """``(policy, source title)`` when the dataset comes from a harvest source, else None."""
    if not package_id or not plugin_loaded("harvest"):
        return None
    from ckanext.harvest.model import HarvestJob, HarvestObject, HarvestSource

    # harvesters link an object to its source through its job (harvest_source_id is often unset)
    found = (
        model.Session.query(HarvestSource)
        .join(HarvestJob, HarvestJob.source_id == HarvestSource.id)
        .join(HarvestObject, HarvestObject.harvest_job_id == HarvestJob.id)
        .filter(HarvestObject.package_id == package_id)
        .first()
    )
    if found is None:
        return None
    policy = tk.config.get("ckanext.cityopendata.publishing.harvest_default_policy")
    try:
        config = json.loads(found.config or "{}")
        if isinstance(config, dict) and config.get("publish_policy") in ("publish", "review"):
            policy = config["publish_policy"]
    except ValueError:
        pass
    return policy, found.title or found.url


def _refuse_public(message: str) -> None:
    raise tk.ValidationError({"private": [message]})


def _decide_going_public(
    context: Context, data_dict: DataDict, package_id: Optional[str], owner_org: Optional[str], before: str
) -> dict[str, Any]:
    harvested = harvest_policy(package_id) if context.get("ignore_auth") or is_system(context) else None
    if harvested is not None:
        policy, source = harvested
        if policy == "publish":
            return {"after": wf.PUBLISHED, "reason": tk._("Harvested from {source}: published directly").format(source=source)}
        data_dict["private"] = True
        after = before if before in (wf.SUBMITTED,) else wf.SUBMITTED
        return {"after": after, "reason": tk._("Harvested from {source}: waiting for review").format(source=source)}
    if is_system(context):
        return {"after": wf.PUBLISHED, "reason": tk._("Published directly by a site administrator")}
    user = context.get("user")
    if package_id is None:
        _refuse_public(tk._("Create the dataset as private, then submit it for review to publish it."))
    if not roles.can_publish(user, owner_org):
        _refuse_public(tk._("An agency editor cannot publish a dataset: submit it for review."))
    blockers = gate.publication_blockers(package_id)  # type: ignore[arg-type]
    if blockers:
        raise tk.ValidationError({"private": blockers})
    return {"after": wf.PUBLISHED, "reason": tk._("Made public by a reviewer")}


@tk.chained_action
def package_create(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    if context.get(wf.INTERNAL_KEY):  # type: ignore[misc]
        return next_action(context, data_dict)
    if "private" not in data_dict and not is_system(context):
        data_dict["private"] = True
    wants_public = not tk.asbool(data_dict.get("private", False))
    decision: dict[str, Any] = {"before": None, "after": wf.DRAFT, "reason": ""}
    if wants_public:
        decision.update(
            _decide_going_public(context, data_dict, data_dict.get("id"), data_dict.get("owner_org"), wf.DRAFT)
        )
    elif harvest_policy(data_dict.get("id")) is not None:
        decision.update({"after": wf.SUBMITTED, "reason": tk._("Harvested: waiting for review")})
    context[wf.DECISION_KEY] = decision  # type: ignore[literal-required]
    return next_action(context, data_dict)


@tk.chained_action
def package_update(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    if context.get(wf.INTERNAL_KEY):  # type: ignore[misc]
        return next_action(context, data_dict)
    pkg = model.Package.get(data_dict.get("id") or data_dict.get("name") or "")
    if pkg is None:
        return next_action(context, data_dict)
    before = wf.state_of(pkg)
    wants_private = tk.asbool(data_dict["private"]) if "private" in data_dict else bool(pkg.private)
    going_deleted = data_dict.get("state") == "deleted"
    decision: dict[str, Any] = {"before": before, "after": before, "reason": ""}
    if not wants_private and before != wf.PUBLISHED and not going_deleted:
        decision.update(
            _decide_going_public(context, data_dict, pkg.id, data_dict.get("owner_org") or pkg.owner_org, before)
        )
    elif (wants_private or going_deleted) and before == wf.PUBLISHED:
        decision.update({"after": wf.WITHDRAWN, "reason": tk._("Made private") if not going_deleted else tk._("Deleted")})
    context[wf.DECISION_KEY] = decision  # type: ignore[literal-required]
    return next_action(context, data_dict)


def after_saved(context: Context, pkg_dict: dict[str, Any]) -> None:
    """Record the decision taken before the change, in the change's own transaction."""
    package_id = pkg_dict.get("id")
    if not package_id:
        return
    internal = context.get(wf.INTERNAL_KEY)  # type: ignore[misc]
    decision = context.pop(wf.DECISION_KEY, None)  # type: ignore[misc]
    pkg = model.Package.get(package_id)
    if pkg is None:
        return
    if decision is not None and not internal:
        before, after = decision["before"], decision["after"]
        exists = model.Session.get(wf.WorkflowState, package_id) is not None
        if before is None or not exists or before != after:
            wf.record(package_id, before or wf.DRAFT, after, context.get("user"), decision.get("reason", ""))
        if after != (before or wf.DRAFT) and after in (wf.SUBMITTED,) and not context.get(wf.DIGEST_KEY):  # type: ignore[misc]
            from ckanext.cityopendata.publishing import notify

            notify.transition_made(package_id, before or wf.DRAFT, after, context.get("user"), decision.get("reason", ""))
    from ckanext.cityopendata.publishing.national import sync

    sync.after_dataset_change(pkg)


def after_deleted(context: Context, data_dict: dict[str, Any]) -> None:
    pkg = model.Package.get(data_dict.get("id", ""))
    if pkg is None:
        return
    row = model.Session.get(wf.WorkflowState, pkg.id)
    if row is not None and row.state == wf.PUBLISHED or (row is None and not pkg.private):
        wf.record(pkg.id, wf.PUBLISHED, wf.WITHDRAWN, context.get("user"), tk._("Deleted"))
    from ckanext.cityopendata.publishing.national import sync

    sync.after_dataset_change(pkg)
