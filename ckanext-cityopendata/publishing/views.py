"""Pages of publishing: workflow steps from the dataset page, accepting findings, the sync status."""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from ckan.plugins import toolkit as tk

__all__ = ["publishing"]

publishing = Blueprint("cityopendata_publishing", __name__)


def _context() -> dict[str, Any]:
    return {"user": tk.current_user.name if tk.current_user and tk.current_user.is_authenticated else ""}


@publishing.route("/dataset/<id>/workflow", methods=["POST"])
def transition(id: str) -> Any:
    try:
        tk.get_action("cityopendata_workflow_transition")(
            _context(), {"id": id, "to": tk.request.form.get("to"), "reason": tk.request.form.get("reason", "")}
        )
        tk.h.flash_success(tk._("The dataset's workflow state was changed."))
    except tk.NotAuthorized:
        return tk.abort(403, tk._("You are not allowed to do this."))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Dataset not found"))
    except tk.ValidationError as error:
        for messages in error.error_dict.values():
            for message in messages if isinstance(messages, list) else [messages]:
                tk.h.flash_error(str(message))
    return tk.redirect_to("dataset.read", id=id)


@publishing.route("/dataset/<id>/screening/<finding_id>/accept", methods=["POST"])
def accept_finding(id: str, finding_id: str) -> Any:
    try:
        tk.get_action("cityopendata_screening_accept")(
            _context(), {"id": finding_id, "reason": tk.request.form.get("reason", "")}
        )
        tk.h.flash_success(tk._("The finding was accepted."))
    except tk.NotAuthorized:
        return tk.abort(403, tk._("You are not allowed to do this."))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Finding not found"))
    except tk.ValidationError:
        tk.h.flash_error(tk._("Please give a reason for accepting the finding."))
    return tk.redirect_to("dataset.read", id=id)


@publishing.route("/ckan-admin/national-sync")
def national_status() -> Any:
    try:
        status = tk.get_action("cityopendata_national_status")(_context(), {})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only the city's site administrators may see the national sync."))
    return tk.render("cityopendata/publishing/national_status.html", {"status": status})
