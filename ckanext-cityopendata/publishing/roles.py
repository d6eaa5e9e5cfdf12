"""Who may do what in the workflow: agency editors submit, agency admins and city reviewers decide.

A city-level reviewer is a user named in ``ckanext.cityopendata.publishing.reviewers`` or a member
of the group named in ``ckanext.cityopendata.publishing.reviewer_group`` (groups are created and
their members managed by sysadmins). Sysadmins are reviewers too.
"""
from __future__ import annotations

from typing import Optional

from ckan import authz, model
from ckan.plugins import toolkit as tk


def user_object(user: Optional[str]) -> Optional[model.User]:
    if not user:
        return None
    return model.User.get(user)


def is_city_reviewer(user: Optional[str]) -> bool:
    obj = user_object(user)
    if obj is None or obj.state != "active":
        return False
    if obj.sysadmin:
        return True
    if obj.name in tk.config.get("ckanext.cityopendata.publishing.reviewers"):
        return True
    group_name = tk.config.get("ckanext.cityopendata.publishing.reviewer_group")
    if group_name:
        group = model.Group.get(group_name)
        if group is not None and group.state == "active":
            member = (
                model.Session.query(model.Member)
                .filter(model.Member.group_id == group.id)
                .filter(model.Member.table_name == "user")
                .filter(model.Member.table_id == obj.id)
                .filter(model.Member.state == "active")
                .first()
            )
            return member is not None
    return False


def can_publish(user: Optional[str], owner_org: Optional[str]) -> bool:
    """An admin of the dataset's agency, or a city-level reviewer."""
    if is_city_reviewer(user):
        return True
    if not user or not owner_org:
        return False
    return authz.has_user_permission_for_group_or_org(owner_org, user, "admin") and (
        authz.users_role_for_group_or_org(owner_org, user) == "admin"
    )


def can_submit(user: Optional[str], owner_org: Optional[str]) -> bool:
    """An editor (or admin) of the dataset's agency, or a reviewer."""
    if can_publish(user, owner_org):
        return True
    if not user or not owner_org:
        return False
    return authz.users_role_for_group_or_org(owner_org, user) in ("editor", "admin")


def can_read_review_notes(user: Optional[str], pkg: model.Package) -> bool:
    """Who sees a dataset's workflow history (reviewers' names and comments, the agency's working
    notes): the people who may edit the dataset (its agency's editors and admins, collaborators
    with edit rights), city reviewers and sysadmins. Not the public, not other agencies."""
    if can_submit(user, pkg.owner_org):
        return True
    if not user:
        return False
    context = {"user": user}
    return authz.is_authorized_boolean("package_update", context, {"id": pkg.id})  # type: ignore[arg-type]
