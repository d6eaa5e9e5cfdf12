"""City schemas: metadata fields, vocabularies, administrative units and the Table Schema catalogue."""
