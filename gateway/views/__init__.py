"""The gateway's views: the machine APIs (openai_compat, completions_api) and the pages."""
