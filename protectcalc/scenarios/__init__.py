"""Scenario and order files: the strict YAML reader, the file model, replay, update, reports."""
