"""Jinja templates for drafts and pages, installed as `alphatree_ingest.prompts` (see pyproject)."""
