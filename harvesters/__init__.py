"""Harvesters: one module per kind of agency source."""
