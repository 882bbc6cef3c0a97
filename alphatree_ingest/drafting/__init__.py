"""Drafting: the catalog entry a curator reviews (diagram, topic, parents, implementations, enrichment)."""
