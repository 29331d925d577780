"""CouchDB side of MPP Digital: per-person databases, the replication gateway, ingest and status.

Plain Python: nothing here imports Litestar; `server/` maps these exceptions to HTTP.
"""
