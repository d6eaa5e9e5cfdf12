"""Data files: scheming YAML, vocabularies and the Table Schema catalogue."""
