"""What users touch: the answering engine, the CLI, the web UI and the Python API."""
