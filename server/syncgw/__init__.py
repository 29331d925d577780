"""HTTP mount of the replication gateway (`/sync/...`); the rules live in `sync.access`."""
