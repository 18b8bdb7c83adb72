"""The registry's HTML forms: prompts and folders (prompts), history, comments and labels
(history). The editor's forms live in promptregistry.editor.forms."""
