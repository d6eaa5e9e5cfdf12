"""The cityopendata_harvest plugin: the run command, the job report action and page."""
from __future__ import annotations

from ckan import plugins as p
from ckan.common import CKANConfig
from ckan.plugins import toolkit as tk

from ckanext.cityopendata import migrations

migrations.install()


@tk.blanket.config_declarations
@tk.blanket.cli
@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.blueprints
class CityHarvestPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)

    # IConfigurer
    def update_config(self, config: CKANConfig) -> None:
        tk.add_template_directory(config, "templates")
