"""One distribution, three source folders mapped onto ckanext.cityopendata (see ../shared/STYLE.md)."""
from __future__ import annotations

from setuptools import find_packages, setup

FOLDERS = {
    "ckanext.cityopendata": "ckanext-cityopendata",
    "ckanext.cityopendata.harvesters": "harvesters",
    "ckanext.cityopendata.schemas": "schemas",
}


def packages_in(import_name: str, folder: str) -> list[str]:
    return [import_name] + [f"{import_name}.{sub}" for sub in find_packages(folder)]


def package_dir() -> dict[str, str]:
    mapping = dict(FOLDERS)
    for import_name, folder in FOLDERS.items():
        for sub in find_packages(folder):
            mapping[f"{import_name}.{sub}"] = f"{folder}/{sub.replace('.', '/')}"
    return mapping


setup(
    name="ckanext-cityopendata",
    version="0.1.0",
    description="Open-data publishing platform for Vietnamese cities, as a CKAN 2.12 extension",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="AGPL-3.0-or-later",
    python_requires=">=3.11",
    packages=[p for name, folder in FOLDERS.items() for p in packages_in(name, folder)],
    package_dir=package_dir(),
    package_data={
        "ckanext.cityopendata": [
            "config_declaration.yaml",
            "*/config_declaration.yaml",
            "*/templates/**/*",
            "*/assets/**/*",
            "*/i18n/**/*",
            "*/public/**/*",
            "templates/**/*",
            "assets/**/*",
            "i18n/**/*",
            "demo/*.json",
            "migration/**/*",
            "public/**/*",
        ],
        "ckanext.cityopendata.harvesters": ["config_declaration.yaml", "templates/**/*", "catalogue_template/*"],
        "ckanext.cityopendata.schemas": ["*.yaml", "*.json", "**/*.yaml", "**/*.json", "**/*.csv"],
    },
    include_package_data=True,
    zip_safe=False,
    entry_points={
        "ckan.plugins": [
            "cityopendata = ckanext.cityopendata.plugin:CityOpenDataPlugin",
            "cityopendata_schemas = ckanext.cityopendata.metadata.plugin:CityOpenDataSchemasPlugin",
            "cityopendata_portal = ckanext.cityopendata.portal.plugin:CityOpenDataPortalPlugin",
            "cityopendata_validation = ckanext.cityopendata.validation.plugin:CityOpenDataValidationPlugin",
            "cityopendata_harvest = ckanext.cityopendata.harvesters.plugin:CityHarvestPlugin",
            "cityopendata_ckan_harvester = ckanext.cityopendata.harvesters.ckan:CkanHarvester",
            "cityopendata_dcat_harvester = ckanext.cityopendata.harvesters.dcat:DcatHarvester",
            "cityopendata_spreadsheet_harvester = ckanext.cityopendata.harvesters.spreadsheet:SpreadsheetHarvester",
            "cityopendata_jsonapi_harvester = ckanext.cityopendata.harvesters.jsonapi:JsonApiHarvester",
            "cityopendata_publishing = ckanext.cityopendata.publishing.plugin:PublishingPlugin",
        ],
        "ckan.rdf.profiles": [
            "cityopendata_dcat_ap_3 = ckanext.cityopendata.publishing.dcat_profile:CityOpenDataDCATProfile",
        ],
        "babel.extractors": [
            "ckan = ckan.lib.extract:extract_ckan",
        ],
    },
    message_extractors={
        "ckanext-cityopendata": [
            ("**.py", "python", None),
            ("**/templates/**.html", "ckan", None),
        ],
    },
)
