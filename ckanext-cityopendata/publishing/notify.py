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
    _mail(recipients, subject, body, pkg.name)


def _mail(users: list[model.User], subject: str, body: str, about: str) -> int:
    """Mail each user who has an address; a failure is logged, never raised. Returns mails sent."""
    sent = 0
    for user in users:
        if not user.email:
            continue
        try:
            mailer.mail_user(user, subject, body)
            sent += 1
        except mailer.MailerException as error:
            log.warning("could not mail %s about %s: %s", user.name, about, error)
    return sent


DIGEST_SHOWN = 20


def harvest_digest(job_id: str) -> int:
    """One mail to each reviewer of an agency listing the datasets a harvest job left waiting for
    review (a harvest of a thousand datasets is one mail, not a thousand). Returns mails sent."""
    if not tk.asbool(tk.config.get("ckanext.cityopendata.publishing.notify")):
        return 0
    from ckanext.harvest.model import HarvestJob, HarvestObject

    job = HarvestJob.get(job_id)
    if job is None:
        return 0
    waiting = (
        model.Session.query(model.Package)
        .join(HarvestObject, HarvestObject.package_id == model.Package.id)
        .join(WorkflowState, WorkflowState.package_id == model.Package.id)
        .filter(HarvestObject.harvest_job_id == job_id, HarvestObject.report_status.in_(("added", "updated")),
                WorkflowState.state == "submitted", model.Package.state == "active")
        .order_by(model.Package.title)
        .all()
    )
    source = model.Package.get(job.source_id)
    source_title = (source.title or source.name) if source is not None else job.source_id
    site = tk.config.get("ckan.site_title")
    site_url = tk.config.get("ckan.site_url").rstrip("/")
    by_org: dict[Optional[str], list[model.Package]] = {}
    for pkg in waiting:
        by_org.setdefault(pkg.owner_org, []).append(pkg)
    sent = 0
    for owner_org, packages in by_org.items():
        subject = tk._("[{site}] {count} harvested datasets wait for review: {source}").format(
            site=site, count=len(packages), source=source_title)
        lines = [tk._("The harvest of {source} left {count} datasets waiting for review:").format(
            source=source_title, count=len(packages)), ""]
        lines += [f"- {pkg.title or pkg.name}: {site_url}/dataset/{pkg.name}" for pkg in packages[:DIGEST_SHOWN]]
        if len(packages) > DIGEST_SHOWN:
            lines.append(tk._("… and {more} more.").format(more=len(packages) - DIGEST_SHOWN))
        lines += ["", tk._("All datasets waiting for review: {url}").format(
            url=f"{site_url}/dataset/?q=workflow_state:submitted")]
        body = "\n".join(lines)
        sent += _mail(reviewers_of(owner_org), subject, body, f"harvest job {job_id}")
    return sent
