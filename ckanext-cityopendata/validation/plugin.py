"""The cityopendata_validation plugin: interface wiring only; see the modules named for each concern."""
from __future__ import annotations

from typing import Any

from ckan import plugins as p
from ckan.common import CKANConfig
from ckan.lib.plugins import DefaultTranslation
from ckan.plugins import toolkit as tk

from ckanext.cityopendata import migrations
from ckanext.cityopendata.validation import subscriptions

migrations.install()


@tk.blanket.config_declarations
@tk.blanket.cli
@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.helpers
@tk.blanket.blueprints
class CityOpenDataValidationPlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)
    p.implements(p.ISignal)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IFacets, inherit=True)

    # IConfigurer
    def update_config(self, config: CKANConfig) -> None:
        tk.add_template_directory(config, "templates")

    # ISignal
    def get_signal_subscriptions(self) -> Any:
        return subscriptions.signal_subscriptions()

    # IPackageController
    def after_dataset_show(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        subscriptions.add_resource_statuses(pkg_dict)

    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        return subscriptions.index_dataset_status(pkg_dict)

    # IFacets
    def dataset_facets(self, facets_dict: dict[str, Any], package_type: str) -> dict[str, Any]:
        facets_dict["validation_status"] = tk._("Validation")
        return facets_dict

    def organization_facets(self, facets_dict: dict[str, Any], organization_type: str, package_type: str) -> dict[str, Any]:
        facets_dict["validation_status"] = tk._("Validation")
        return facets_dict
