"""WSGI entry point for gunicorn: the CKAN app built from $CKAN_INI."""
from __future__ import annotations

import os

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

application = make_app(CKANConfigLoader(os.environ["CKAN_INI"]).get_config())
