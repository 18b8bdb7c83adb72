"""The prompt APIs: the native /api/v1/prompts (native), the Langfuse-compatible
/api/public/ (langfuse, langfuse_shapes), what both share (common, schemas) and the export
endpoint (export)."""
