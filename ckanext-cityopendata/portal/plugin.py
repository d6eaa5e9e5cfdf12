"""The cityopendata_portal plugin: interface wiring only; the logic lives in modules named for it."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ckan import plugins as p
from ckan.common import CKANConfig
from ckan.lib.plugins import DefaultTranslation
from ckan.plugins import toolkit as tk

from ckanext.cityopendata import migrations
from ckanext.cityopendata.portal import indexing, links, ratelimit

migrations.install()


@tk.blanket.config_declarations
@tk.blanket.cli
@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.helpers
@tk.blanket.blueprints
class CityOpenDataPortalPlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IConfigurable)

    # IConfigurer
    def update_config(self, config: CKANConfig) -> None:
        tk.add_template_directory(config, "templates")
        tk.add_resource("assets", "cityopendata_portal")

    # ITranslation: one catalogue for every plugin of the extension, in ckanext-cityopendata/i18n
    def i18n_directory(self) -> str:
        return str(Path(__file__).resolve().parent.parent / "i18n")

    def i18n_domain(self) -> str:
        return "ckanext-cityopendata"

    # IConfigurable: run at start-up once the plugins are loaded; a bad rate limit stops CKAN there
    def configure(self, config: CKANConfig) -> None:
        ratelimit.check_config(config)

    # IFacets
    def dataset_facets(self, facets_dict: dict[str, Any], package_type: str) -> dict[str, Any]:
        return indexing.dataset_facets(facets_dict)

    # IPackageController
    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        return indexing.before_dataset_index(pkg_dict)

    def after_dataset_create(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        links.schedule_check(pkg_dict)

    def after_dataset_update(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        links.schedule_check(pkg_dict)
