"""Prompts as code: the YAML file format and the zip export (the promptops CLI in
promptregistry.cli pulls and pushes these files)."""
