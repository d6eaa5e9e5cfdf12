"""The cityopendata_publishing plugin: interface wiring only; logic lives in the modules it names."""
from __future__ import annotations

from typing import Any

from ckan import model
from ckan import plugins as p
from ckan.common import CKANConfig
from ckan.plugins import toolkit as tk
from ckan.types import Context

from ckanext.cityopendata import jobs_after_commit, migrations
from ckanext.cityopendata.publishing import enforcement, labels, screening, workflow

migrations.install()
jobs_after_commit.install()


@tk.blanket.config_declarations
@tk.blanket.cli
@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.helpers
@tk.blanket.blueprints
class PublishingPlugin(p.SingletonPlugin, labels.WorkflowPermissionLabels):
    p.implements(p.IConfigurer)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IResourceController, inherit=True)
    p.implements(p.IPermissionLabels)

    # IConfigurer
    def update_config(self, config: CKANConfig) -> None:
        tk.add_template_directory(config, "templates")

    # IPackageController
    def after_dataset_create(self, context: Context, pkg_dict: dict[str, Any]) -> None:
        enforcement.after_saved(context, pkg_dict)

    def after_dataset_update(self, context: Context, pkg_dict: dict[str, Any]) -> None:
        enforcement.after_saved(context, pkg_dict)

    def after_dataset_delete(self, context: Context, pkg_dict: dict[str, Any]) -> None:
        enforcement.after_deleted(context, pkg_dict)

    def after_dataset_show(self, context: Context, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        pkg = model.Package.get(pkg_dict.get("id", ""))
        if pkg is not None:
            pkg_dict["workflow_state"] = workflow.state_of(pkg)
        return pkg_dict

    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        pkg_dict["workflow_state"] = workflow.state_of_id(pkg_dict["id"])
        return pkg_dict

    # IResourceController
    def after_resource_create(self, context: Context, resource: dict[str, Any]) -> None:
        screening.enqueue(resource["id"])

    def after_resource_update(self, context: Context, resource: dict[str, Any]) -> None:
        screening.enqueue(resource["id"])
