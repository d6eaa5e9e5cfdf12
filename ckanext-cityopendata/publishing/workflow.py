"""The review workflow on top of CKAN's own private/public mechanics.

Every state but ``published`` is a private dataset; ``published`` is an active, public one. The
workflow state and its history live in our tables; CKAN's ``private`` flag follows the state, so
search, DCAT, activity and the API hide unpublished datasets through CKAN's own permission labels.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Optional

from ckan import model
from ckan.plugins import toolkit as tk
from ckan.types import Context

from ckanext.cityopendata.publishing import gate, roles
from ckanext.cityopendata.publishing.model import WorkflowState, WorkflowTransition, now

log = logging.getLogger(__name__)

DRAFT, SUBMITTED, RETURNED, PUBLISHED, WITHDRAWN = "draft", "submitted", "returned", "published", "withdrawn"
STATES = (DRAFT, SUBMITTED, RETURNED, PUBLISHED, WITHDRAWN)
DECISION_KEY = "cityopendata_workflow_decision"
INTERNAL_KEY = "cityopendata_workflow_internal"
# Set in the context by harvest imports whose job ends with one digest mail to the reviewers
# (``notify.harvest_digest``) instead of one mail a dataset.
DIGEST_KEY = "cityopendata_harvest_digest"


@dataclass(frozen=True)
class Rule:
    sources: frozenset[str]
    role: str  # "submit" or "publish"
    needs_reason: bool = False


RULES: dict[str, Rule] = {
    SUBMITTED: Rule(frozenset({DRAFT, RETURNED, WITHDRAWN}), "submit"),
    PUBLISHED: Rule(frozenset({SUBMITTED}), "publish"),
    RETURNED: Rule(frozenset({SUBMITTED}), "publish", needs_reason=True),
    WITHDRAWN: Rule(frozenset({PUBLISHED}), "publish", needs_reason=True),
}


def is_public(pkg: model.Package) -> bool:
    return pkg.state == "active" and not pkg.private


def state_of(pkg: model.Package) -> str:
    """The workflow state; datasets from before the workflow count as published when public."""
    row = model.Session.get(WorkflowState, pkg.id)
    if row is not None:
        return row.state
    return PUBLISHED if is_public(pkg) else DRAFT


def state_of_id(package_id: str) -> str:
    pkg = model.Package.get(package_id)
    return state_of(pkg) if pkg is not None else DRAFT


def allowed_targets(pkg: model.Package, user: Optional[str]) -> list[str]:
    current = state_of(pkg)
    targets = []
    for target, rule in RULES.items():
        if current not in rule.sources:
            continue
        allowed = (
            roles.can_submit(user, pkg.owner_org) if rule.role == "submit" else roles.can_publish(user, pkg.owner_org)
        )
        if allowed:
            targets.append(target)
    return targets


def record(
    package_id: str, before: str, after: str, user: Optional[str], reason: str = ""
) -> WorkflowTransition:
    """Add the new state and its history line to the session (the caller commits)."""
    user_obj = roles.user_object(user)
    row = model.Session.get(WorkflowState, package_id)
    if row is None:
        row = WorkflowState(package_id=package_id, state=after)
        model.Session.add(row)
    row.state = after
    row.updated = now()
    if after == SUBMITTED and user_obj is not None:
        row.submitted_by = user_obj.id
    step = WorkflowTransition(
        package_id=package_id,
        from_state=before,
        to_state=after,
        user_id=user_obj.id if user_obj else None,
        user_name=user_obj.name if user_obj else (user or None),
        reason=reason or "",
        created=now(),
    )
    model.Session.add(step)
    model.Session.flush()  # CKAN's session does not autoflush: the index and package_show must see it
    return step


def history(package_id: str) -> list[dict[str, Any]]:
    steps = (
        model.Session.query(WorkflowTransition)
        .filter(WorkflowTransition.package_id == package_id)
        .order_by(WorkflowTransition.created)
        .all()
    )
    return [s.as_dict() for s in steps]


def published_at(package_id: str) -> Optional[str]:
    """When the dataset was last published (ISO 8601), if it was through the workflow."""
    created = (
        model.Session.query(WorkflowTransition.created)
        .filter(WorkflowTransition.package_id == package_id, WorkflowTransition.to_state == PUBLISHED)
        .order_by(WorkflowTransition.created.desc())
        .limit(1)
        .scalar()
    )
    return created.isoformat() if created is not None else None


def transition(context: Context, pkg: model.Package, target: str, reason: str = "") -> dict[str, Any]:
    """Move ``pkg`` to ``target`` on behalf of ``context['user']``; raise ValidationError or
    NotAuthorized when the step is not allowed."""
    user = context.get("user")
    current = state_of(pkg)
    rule = RULES.get(target)
    if rule is None:
        raise tk.ValidationError({"to": [tk._("Unknown workflow state: {state}").format(state=target)]})
    if current not in rule.sources:
        raise tk.ValidationError(
            {"to": [tk._("A dataset cannot go from {a} to {b}.").format(a=current, b=target)]}
        )
    allowed = roles.can_submit(user, pkg.owner_org) if rule.role == "submit" else roles.can_publish(user, pkg.owner_org)
    if not allowed:
        raise tk.NotAuthorized(tk._("You are not allowed to move this dataset to {state}.").format(state=target))
    reason = (reason or "").strip()
    if rule.needs_reason and not reason:
        raise tk.ValidationError({"reason": [tk._("Please give a reason: the agency will read it.")]})
    if target == PUBLISHED:
        blockers = gate.publication_blockers(pkg.id)
        if blockers:
            raise tk.ValidationError({"publication": blockers})

    record(pkg.id, current, target, user, reason)
    make_private = target != PUBLISHED
    if bool(pkg.private) != make_private or (target == PUBLISHED and pkg.state != "active"):
        patch: dict[str, Any] = {"id": pkg.id, "private": make_private}
        if target == PUBLISHED:
            patch["state"] = "active"
        tk.get_action("package_patch")(
            {"user": user, "ignore_auth": True, INTERNAL_KEY: {"before": current, "after": target}},  # type: ignore[typeddict-unknown-key]
            patch,
        )
    else:
        model.repo.commit()
        from ckan.lib.search import rebuild

        rebuild(pkg.id)
    from ckanext.cityopendata.publishing import notify

    notify.transition_made(pkg.id, current, target, user, reason)
    return {"id": pkg.id, "name": pkg.name, "from_state": current, "state": target}
