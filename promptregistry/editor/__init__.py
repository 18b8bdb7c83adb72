"""The visual editor behind views/editor.py: what it posted (state), what it shows about it
(analysis: variables, preview, warnings) and its forms."""
