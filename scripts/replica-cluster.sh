#!/usr/bin/env bash
# A read scale-out topology of our own for the replica and PgBouncer tests (issue #13), built with
# Debian's tools and kept apart from the shared server on 5432:
#
#   cheap_primary   PostgreSQL 15 primary          127.0.0.1:5451   (pg_createcluster)
#   cheap_replica   its streaming hot standby      127.0.0.1:5452   (pg_basebackup -R)
#   PgBouncer       transaction pooling → primary  127.0.0.1:6451   (Debian's pgbouncer)
#
# Every node trusts local connections (test-only, loopback-only). The tests work in the database
# `cheap_test` on the primary, in schemas of their own; the standby replays it.
#
#   scripts/replica-cluster.sh start     create what is missing (first time ~15 s), start all three
#   scripts/replica-cluster.sh stop      stop all three (data kept)
#   scripts/replica-cluster.sh status    one line per node
#   scripts/replica-cluster.sh env       the variables the tests read, as `export` lines:
#                                        eval "$(scripts/replica-cluster.sh env)"
#   scripts/replica-cluster.sh destroy   stop and delete everything it created
#
# Needs root (it runs the servers as the postgres user) and installs pgbouncer when it is missing.
set -euo pipefail

VERSION=${CHEAP_TOPOLOGY_PG_VERSION:-$(ls /usr/lib/postgresql | sort -n | tail -1)}
PRIMARY=cheap_primary
REPLICA=cheap_replica
PRIMARY_PORT=5451
REPLICA_PORT=5452
BOUNCER_PORT=6451
DATABASE=cheap_test
HOME_DIR=/var/lib/postgresql/cheap-topology
BOUNCER_INI=$HOME_DIR/pgbouncer.ini
BOUNCER_PID=$HOME_DIR/pgbouncer.pid
REPLICA_DATA=/var/lib/postgresql/$VERSION/$REPLICA

as_postgres() { runuser -u postgres -- "$@"; }
ready() { pg_isready -q -h 127.0.0.1 -p "$1"; }
wait_ready() { # port, what
  for _ in $(seq 1 60); do ready "$1" && return 0; sleep 0.5; done
  echo "replica-cluster: $2 on port $1 did not come up" >&2
  return 1
}
exists() { [ -f "/etc/postgresql/$VERSION/$1/postgresql.conf" ] && [ -f "/var/lib/postgresql/$VERSION/$1/PG_VERSION" ]; }
# Whatever is left of a cluster, even half-created: configuration and data.
remove_cluster() {
  pg_dropcluster --stop "$VERSION" "$1" 2>/dev/null || true
  rm -rf "/etc/postgresql/$VERSION/$1" "/var/lib/postgresql/$VERSION/$1"
}
psql_on() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -p "$@"; }

configure() { # cluster name: settings both nodes share
  local conf=/etc/postgresql/$VERSION/$1/conf.d/cheap-topology.conf
  cat >"$conf" <<'EOF'
listen_addresses = '127.0.0.1'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
# A standby's long reads must not be cancelled by the primary's vacuum of rows they still see.
hot_standby_feedback = on
# Test data: commits need not wait for the disk (the tests stop nodes, never crash the host).
synchronous_commit = off
fsync = off
full_page_writes = off
shared_buffers = 64MB
max_connections = 200
EOF
  chown postgres:postgres "$conf"
}

create_primary() {
  remove_cluster "$PRIMARY"
  pg_createcluster "$VERSION" "$PRIMARY" -p "$PRIMARY_PORT" --start-conf manual -- \
    --auth=trust --encoding=UTF8 >/dev/null
  configure "$PRIMARY"
}

start_primary() {
  exists "$PRIMARY" || create_primary
  ready "$PRIMARY_PORT" || pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$PRIMARY" start
  wait_ready "$PRIMARY_PORT" primary
  psql_on "$PRIMARY_PORT" -d postgres -tAc "select 1 from pg_database where datname = '$DATABASE'" |
    grep -q 1 || psql_on "$PRIMARY_PORT" -d postgres -c "create database $DATABASE"
  # The replica's slot keeps the WAL it has not yet received, so a stopped standby catches up.
  psql_on "$PRIMARY_PORT" -d postgres -tAc \
    "select 1 from pg_replication_slots where slot_name = '$REPLICA'" | grep -q 1 ||
    psql_on "$PRIMARY_PORT" -d postgres -tAc \
      "select 1 from pg_create_physical_replication_slot('$REPLICA')" >/dev/null
}

create_replica() {
  remove_cluster "$REPLICA"
  pg_createcluster "$VERSION" "$REPLICA" -p "$REPLICA_PORT" --start-conf manual -- \
    --auth=trust --encoding=UTF8 >/dev/null
  configure "$REPLICA"
  # Its own initdb is replaced by a copy of the primary, which -R makes a standby of it (the
  # directory stays: its parent belongs to root, the postgres user could not create it again).
  find "$REPLICA_DATA" -mindepth 1 -delete
  as_postgres pg_basebackup -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$REPLICA_DATA" \
    -R -X stream -S "$REPLICA" -c fast
}

start_replica() {
  exists "$REPLICA" && [ -f "$REPLICA_DATA/standby.signal" ] || create_replica
  ready "$REPLICA_PORT" || pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$REPLICA" start
  wait_ready "$REPLICA_PORT" standby
  # It is a standby, and it streams: the tests rely on both.
  [ "$(psql_on "$REPLICA_PORT" -d postgres -tAc 'select pg_is_in_recovery()')" = t ] || {
    echo "replica-cluster: $REPLICA on $REPLICA_PORT is not in recovery" >&2
    return 1
  }
  # A test run killed while it had paused replay (pg_wal_replay_pause) leaves it paused, and the
  # next run would wait on a standby that never catches up.
  psql_on "$REPLICA_PORT" -d postgres -tAc \
    "select pg_wal_replay_resume() where pg_is_wal_replay_paused()" >/dev/null
}

start_bouncer() {
  command -v pgbouncer >/dev/null || {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbouncer >/dev/null 2>&1 || {
      apt-get update -q >/dev/null 2>&1
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbouncer >/dev/null
    }
  }
  mkdir -p "$HOME_DIR"
  chown postgres:postgres "$HOME_DIR"
  echo '"postgres" ""' >"$HOME_DIR/userlist.txt"
  cat >"$BOUNCER_INI" <<EOF
[databases]
* = host=127.0.0.1 port=$PRIMARY_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $HOME_DIR/userlist.txt
pool_mode = transaction
max_client_conn = 500
; Few server sessions, at least two, handed out in turn: consecutive transactions of one client
; land on different sessions, so a test fails if the library kept anything in a session (a named
; prepared statement, a setting, a lock); a larger pool would hide that behind a sticky session.
default_pool_size = 4
min_pool_size = 2
server_round_robin = 1
; node-postgres sends no startup parameters PgBouncer refuses; psql and others send this one.
ignore_startup_parameters = extra_float_digits
logfile = $HOME_DIR/pgbouncer.log
pidfile = $BOUNCER_PID
EOF
  chown postgres:postgres "$HOME_DIR/userlist.txt" "$BOUNCER_INI"
  if ready "$BOUNCER_PORT" && [ -f "$BOUNCER_PID" ]; then
    kill -HUP "$(cat "$BOUNCER_PID")" # running: reload the configuration written above
  else
    as_postgres pgbouncer -d -q "$BOUNCER_INI"
  fi
  wait_ready "$BOUNCER_PORT" pgbouncer
}

stop_all() {
  if [ -f "$BOUNCER_PID" ] && kill -0 "$(cat "$BOUNCER_PID")" 2>/dev/null; then
    kill "$(cat "$BOUNCER_PID")"
    for _ in $(seq 1 20); do kill -0 "$(cat "$BOUNCER_PID" 2>/dev/null)" 2>/dev/null || break; sleep 0.2; done
  fi
  for cluster in "$REPLICA" "$PRIMARY"; do
    exists "$cluster" && pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$cluster" stop \
      --mode fast 2>/dev/null || true
  done
}

status_line() { # name, port
  if ready "$2"; then echo "$1 127.0.0.1:$2 up"; else echo "$1 127.0.0.1:$2 down"; fi
}

case "${1:-}" in
  start)
    start_primary
    start_replica
    start_bouncer
    ;;
  stop) stop_all ;;
  status)
    status_line primary "$PRIMARY_PORT"
    status_line standby "$REPLICA_PORT"
    status_line pgbouncer "$BOUNCER_PORT"
    ;;
  env)
    echo "export CHEAP_TEST_PRIMARY_URL=postgres://postgres@127.0.0.1:$PRIMARY_PORT/$DATABASE"
    echo "export CHEAP_TEST_REPLICA_URL=postgres://postgres@127.0.0.1:$REPLICA_PORT/$DATABASE"
    echo "export CHEAP_TEST_PGBOUNCER_URL=postgres://postgres@127.0.0.1:$BOUNCER_PORT/$DATABASE"
    # What the fault tests need to stop and start the standby: version and cluster name.
    echo "export CHEAP_TEST_REPLICA_CLUSTER=$VERSION/$REPLICA"
    ;;
  destroy)
    stop_all
    remove_cluster "$REPLICA"
    remove_cluster "$PRIMARY"
    rm -rf "$HOME_DIR"
    ;;
  *)
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
