"""Applications (permohonan): the catalog's rules for ingest, and the agency's side of an application."""
