"""Citewise as parts of other frameworks' pipelines (each behind its own optional extra)."""
