"""Measuring retrieval, citations, answers and speed."""
