"""Publishing: review workflow, personal-data screening, DCAT output and the national link."""
