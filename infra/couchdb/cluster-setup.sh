#!/bin/sh
# Joins the CouchDB nodes into one cluster through the /_cluster_setup API
# (CouchDB docs, "Cluster Set Up" > "The Cluster Setup API"): enable_cluster, add_node for
# each other node, finish_cluster. Runs as the one-shot service couchdb-cluster-setup.
#
# Idempotent: a node that is already a member is not added again, and finish_cluster runs
# only while the cluster is unfinished, so `docker compose up` may run it at every start.
# Ends with status 0 only when every node is connected (all_nodes == cluster_nodes).
set -eu

: "${COUCHDB_USER:?is not set in infra/env}"
: "${COUCHDB_PASSWORD:?is not set in infra/env}"
NODES=${COUCHDB_NODES:-couchdb-1.couch couchdb-2.couch couchdb-3.couch}
PORT=5984
# shellcheck disable=SC2086 # split the list into words on purpose
set -- $NODES
COORDINATOR=$1
NODE_COUNT=$#

# The credentials go into JSON bodies below; the generated values never need escaping.
case "$COUCHDB_USER$COUCHDB_PASSWORD" in
*'"'* | *\\*)
	echo "COUCHDB_USER and COUCHDB_PASSWORD must not contain \" or \\ (generate them as infra/env.example shows)" >&2
	exit 2
	;;
esac

BODY=$(mktemp)
trap 'rm -f "$BODY"' EXIT

# call METHOD HOST PATH [JSON]: prints the HTTP status (000 when unreachable); body in $BODY.
call() {
	if [ $# -ge 4 ]; then
		curl -sS -o "$BODY" -w '%{http_code}' --max-time 30 -u "$COUCHDB_USER:$COUCHDB_PASSWORD" \
			-X "$1" -H 'Content-Type: application/json' --data-binary "$4" "http://$2:$PORT$3" 2>/dev/null || true
	else
		curl -sS -o "$BODY" -w '%{http_code}' --max-time 30 -u "$COUCHDB_USER:$COUCHDB_PASSWORD" \
			-X "$1" "http://$2:$PORT$3" 2>/dev/null || true
	fi
}

fail() {
	echo "cluster setup: $*" >&2
	if [ -s "$BODY" ]; then
		echo "last answer: $(cat "$BODY")" >&2
	fi
	exit 1
}

# JSON array named $1 from the body of the last call, e.g. "couchdb@a","couchdb@b".
json_array() {
	sed -n "s/.*\"$1\":\[\([^]]*\)\].*/\1/p" "$BODY"
}

is_in() { # is_in NODE LIST
	case ",$2," in
	*",\"couchdb@$1\","*) return 0 ;;
	*) return 1 ;;
	esac
}

admin_json="\"username\":\"$COUCHDB_USER\",\"password\":\"$COUCHDB_PASSWORD\""

for node in $NODES; do
	tries=0
	until [ "$(call GET "$node" /_up)" = 200 ]; do
		tries=$((tries + 1))
		[ "$tries" -lt 90 ] || fail "node $node did not answer /_up within 3 minutes"
		sleep 2
	done
done
echo "All $NODE_COUNT CouchDB nodes are up."

# With the official image a node already binds to all interfaces and has an admin, so
# CouchDB answers 400 "Cluster is already enabled" here; both answers mean "enabled".
status=$(call POST "$COORDINATOR" /_cluster_setup \
	"{\"action\":\"enable_cluster\",\"bind_address\":\"0.0.0.0\",$admin_json,\"node_count\":\"$NODE_COUNT\"}")
case $status in
201 | 400) ;;
*) fail "enable_cluster on $COORDINATOR answered $status" ;;
esac

[ "$(call GET "$COORDINATOR" /_membership)" = 200 ] || fail "cannot read /_membership on $COORDINATOR"
members=$(json_array all_nodes)
for node in $NODES; do
	[ "$node" = "$COORDINATOR" ] && continue
	if is_in "$node" "$members"; then
		echo "$node is already a member."
		continue
	fi
	status=$(call POST "$COORDINATOR" /_cluster_setup \
		"{\"action\":\"enable_cluster\",\"bind_address\":\"0.0.0.0\",$admin_json,\"port\":$PORT,\"node_count\":\"$NODE_COUNT\",\"remote_node\":\"$node\",\"remote_current_user\":\"$COUCHDB_USER\",\"remote_current_password\":\"$COUCHDB_PASSWORD\"}")
	case $status in
	201 | 400) ;;
	*) fail "enable_cluster for $node answered $status" ;;
	esac
	# The node document id is name@host, so host must be exactly the host part of the
	# node's -name (see start.sh).
	status=$(call POST "$COORDINATOR" /_cluster_setup \
		"{\"action\":\"add_node\",\"host\":\"$node\",\"port\":$PORT,\"name\":\"couchdb\",$admin_json}")
	[ "$status" = 201 ] || fail "add_node $node answered $status"
	echo "Added $node."
done

# finish_cluster waits for the nodes to connect, copies the admin to every node and creates
# the system databases (_users, _replicator). Retried: a just-added node may need a moment.
tries=0
while :; do
	[ "$(call GET "$COORDINATOR" /_cluster_setup)" = 200 ] || fail "cannot read /_cluster_setup on $COORDINATOR"
	grep -q '"cluster_finished"' "$BODY" && break
	status=$(call POST "$COORDINATOR" /_cluster_setup '{"action":"finish_cluster"}')
	case $status in
	201) echo "Cluster finished: system databases created." && break ;;
	400) grep -q 'already finished' "$BODY" && break ;;
	esac
	tries=$((tries + 1))
	[ "$tries" -lt 10 ] || fail "finish_cluster answered $status"
	sleep 3
done

tries=0
while :; do
	[ "$(call GET "$COORDINATOR" /_membership)" = 200 ] || fail "cannot read /_membership on $COORDINATOR"
	all=$(json_array all_nodes)
	connected=$(json_array cluster_nodes)
	missing=
	for node in $NODES; do
		if ! is_in "$node" "$all" || ! is_in "$node" "$connected"; then
			missing="$missing $node"
		fi
	done
	[ -z "$missing" ] && break
	tries=$((tries + 1))
	[ "$tries" -lt 30 ] || fail "nodes not connected to the cluster:$missing"
	sleep 2
done
echo "CouchDB cluster ready: $connected"
