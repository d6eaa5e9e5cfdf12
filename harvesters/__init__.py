"""Harvesters: one module per kind of agency source.

``cityopendata_ckan_harvester`` (ckan.py), ``cityopendata_dcat_harvester`` (dcat.py),
``cityopendata_spreadsheet_harvester`` (spreadsheet.py), ``cityopendata_jsonapi_harvester``
(jsonapi.py), all built on base.py; ``cityopendata_harvest`` (plugin.py) adds the run command and
the job report.
"""
