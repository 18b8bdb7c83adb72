"""Writes of the gateway: providers, models and aliases (providers.py, catalog.py), settings,
feedback, retention. Each checks access, validates, audits."""
