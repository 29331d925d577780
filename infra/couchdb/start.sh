#!/bin/sh
# Starts one node of the CouchDB cluster (entrypoint of couchdb-1..3 in compose.yaml).
#
# Puts the MPP settings and the cluster-wide UUID into local.d, names the Erlang node and
# sets the cookie, then hands over to the image's own entrypoint, which writes the admin and
# the shared secret from COUCHDB_USER/COUCHDB_PASSWORD/COUCHDB_SECRET and drops to the
# couchdb user. Runs at every start, so a recreated container gets the same configuration.
set -eu

: "${COUCHDB_NODE_HOST:?is not set (compose.yaml sets it per node, e.g. couchdb-1.couch)}"
: "${COUCHDB_USER:?is not set in infra/env}"
: "${COUCHDB_PASSWORD:?is not set in infra/env}"
: "${COUCHDB_SECRET:?is not set in infra/env}"
: "${COUCHDB_COOKIE:?is not set in infra/env}"
: "${COUCHDB_UUID:?is not set in infra/env}"

local_d=/opt/couchdb/etc/local.d
cp /opt/mpp/local.ini "$local_d/10-mpp.ini"
# Every node must carry the same UUID: replications are identified by it, and a node with a
# different one would make them restart from zero (CouchDB docs, "Cluster Set Up").
printf '; written by start.sh at every start\n[couchdb]\nuuid = %s\n' "$COUCHDB_UUID" >"$local_d/20-cluster-uuid.ini"

# The node name is stored in every shard map: it must never change once the cluster exists.
ERL_FLAGS="-setcookie $COUCHDB_COOKIE -name couchdb@$COUCHDB_NODE_HOST"
export ERL_FLAGS

exec tini -- /docker-entrypoint.sh /opt/couchdb/bin/couchdb
