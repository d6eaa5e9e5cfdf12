"""The link with the national data portal: push of published datasets, their sync state."""
