"""Output documents: the signed PDF an application ends with (e.g. a SIP), and its public check."""
