"""E-mails to the people a workflow step concerns, sent with CKAN's mailer."""
from __future__ import annotations

import logging
from typing import Optional

from ckan import model
from ckan.lib import mailer
from ckan.plugins import toolkit as tk

from ckanext.cityopendata.publishing import roles
from ckanext.cityopendata.publishing.helpers import N_, cityopendata_workflow_label
from ckanext.cityopendata.publishing.model import WorkflowState

log = logging.getLogger(__name__)


def reviewers_of(owner_org: Optional[str]) -> list[model.User]:
    """The agency's admins and the city-level reviewers (sysadmins excluded unless named)."""
    users: dict[str, model.User] = {}
    if owner_org:
        members = (
            model.Session.query(model.User)
            .join(model.Member, model.Member.table_id == model.User.id)
            .filter(model.Member.group_id == owner_org, model.Member.table_name == "user")
            .filter(model.Member.state == "active", model.Member.capacity == "admin")
            .filter(model.User.state == "active")
        )
        users.update((u.id, u) for u in members)
    for name in tk.config.get("ckanext.cityopendata.publishing.reviewers"):
        user = model.User.get(name)
        if user is not None and user.state == "active":
            users[user.id] = user
    group_name = tk.config.get("ckanext.cityopendata.publishing.reviewer_group")
    group = model.Group.get(group_name) if group_name else None
    if group is not None:
        for user in (
            model.Session.query(model.User)
            .join(model.Member, model.Member.table_id == model.User.id)
            .filter(model.Member.group_id == group.id, model.Member.table_name == "user")
            .filter(model.Member.state == "active", model.User.state == "active")
        ):
            users[user.id] = user
    return list(users.values())


def agency_people(pkg: model.Package) -> list[model.User]:
    """Who submitted the dataset and who created it."""
    ids = {pkg.creator_user_id}
    row = model.Session.get(WorkflowState, pkg.id)
    if row is not None and row.submitted_by:
        ids.add(row.submitted_by)
    return [u for u in (model.User.get(i) for i in ids if i) if u is not None and u.state == "active"]


SUBJECTS = {
    "submitted": N_("[{site}] Dataset submitted for review: {title}"),
    "published": N_("[{site}] Dataset published: {title}"),
    "returned": N_("[{site}] Dataset returned for changes: {title}"),
    "withdrawn": N_("[{site}] Dataset withdrawn: {title}"),
}


def transition_made(package_id: str, before: str, after: str, actor: Optional[str], reason: str) -> None:
    """Mail the people concerned; a mail failure is logged, never undoes the step."""
    if not tk.asbool(tk.config.get("ckanext.cityopendata.publishing.notify")) or after not in SUBJECTS:
        return
    pkg = model.Package.get(package_id)
    if pkg is None:
        return
    actor_obj = roles.user_object(actor)
    recipients = reviewers_of(pkg.owner_org) if after == "submitted" else agency_people(pkg)
    recipients = [u for u in recipients if u.email and (actor_obj is None or u.id != actor_obj.id)]
    site = tk.config.get("ckan.site_title")
    url = tk.config.get("ckan.site_url").rstrip("/") + f"/dataset/{pkg.name}"
    subject = tk._(SUBJECTS[after]).format(site=site, title=pkg.title or pkg.name)
    lines = [
        tk._("Dataset: {title}").format(title=pkg.title or pkg.name),
        tk._("State: {before} → {after}").format(
            before=cityopendata_workflow_label(before), after=cityopendata_workflow_label(after)),
        tk._("By: {user}").format(user=actor_obj.display_name if actor_obj else tk._("the portal")),
    ]
    if reason:
        lines.append(tk._("Comment: {reason}").format(reason=reason))
    lines.append(url)
    body = "\n".join(lines)
    for user in recipients:
        try:
            mailer.mail_user(user, subject, body)
        except mailer.MailerException as error:
            log.warning("could not mail %s about %s: %s", user.name, pkg.name, error)
