"""Validation of tabular resources with frictionless: detect, check, store reports, gate publication."""
