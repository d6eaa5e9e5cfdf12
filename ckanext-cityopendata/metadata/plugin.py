"""The cityopendata_schemas plugin: interface wiring only; the logic lives in modules named for it."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from ckan import plugins as p
from ckan.common import CKANConfig
from ckan.lib.plugins import DefaultTranslation
from ckan.plugins import toolkit as tk
from ckanext.cityopendata import migrations

from . import search

migrations.install()


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.validators
@tk.blanket.helpers
@tk.blanket.blueprints
class CityOpenDataSchemasPlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.IPackageController, inherit=True)

    # IConfigurer
    def update_config(self, config: CKANConfig) -> None:
        tk.add_template_directory(config, "templates")

    # IFacets
    def dataset_facets(
        self, facets_dict: OrderedDict[str, Any], package_type: str
    ) -> OrderedDict[str, Any]:
        return search.dataset_facets(facets_dict)

    def organization_facets(
        self, facets_dict: OrderedDict[str, Any], organization_type: str, package_type: str | None
    ) -> OrderedDict[str, Any]:
        facets = search.dataset_facets(facets_dict)
        facets.pop("organization", None)  # an agency's page lists only its own datasets
        return facets

    # IPackageController
    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        return search.index_fields(pkg_dict)

    def after_dataset_search(
        self, search_results: dict[str, Any], search_params: dict[str, Any]
    ) -> dict[str, Any]:
        return search.label_facets(search_results)
