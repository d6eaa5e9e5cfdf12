"""What stops a dataset from being published: failed validation and unaccepted personal data."""
from __future__ import annotations

import logging

from ckan.plugins import plugin_loaded

log = logging.getLogger(__name__)


def validation_blockers(package_id: str) -> list[str]:
    """The validation feature's gate, when its plugin is loaded (it is optional for us)."""
    if not plugin_loaded("cityopendata_validation"):
        return []
    from ckanext.cityopendata.validation.gate import publication_blockers  # type: ignore[import-not-found]

    return list(publication_blockers(package_id))


def publication_blockers(package_id: str) -> list[str]:
    """Reasons, for a person, why the dataset cannot be published now; empty means it can."""
    from ckanext.cityopendata.publishing import screening

    return validation_blockers(package_id) + screening.blockers(package_id)
