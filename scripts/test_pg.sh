#!/usr/bin/env bash
# Private PostgreSQL clusters for tests (the PostgreSQL storage tests and fault-injection tests).
# Usage:
#   scripts/test_pg.sh start DIR [PORT] [LISTEN_ADDRESSES]   create (first time) and start; print the URL
#   scripts/test_pg.sh stop DIR                              stop (fast shutdown); no-op when not running
#   scripts/test_pg.sh restart DIR                           stop and start again on the same port
#   scripts/test_pg.sh url DIR [DBNAME]                      print the URL (of database DBNAME)
# The cluster lives in DIR/data, logs to DIR/log, its unix socket is in DIR; it listens on
# 127.0.0.1 (or LISTEN_ADDRESSES, comma-separated; the URL names the first, 127.0.0.1 for '*') on
# PORT (a free port is picked when none is given; the choice is kept in DIR/port). Role `autoglm`
# logs in over TCP with a random password (scram-sha-256), and DIR/url holds
# postgresql://autoglm:PASSWORD@127.0.0.1:PORT/postgres. Tuned for speed, not
# durability (fsync=off). `start` is idempotent (on a running cluster it only prints the URL) and
# returns once the server accepts connections; concurrent calls on one DIR are serialized by an
# flock on DIR. As root, the server runs as the `postgres` system user (initdb refuses root), so
# DIR's parent directories must be traversable by it.
set -euo pipefail

die() { echo "test_pg: $*" >&2; exit 1; }

PGBIN=${PGBIN:-}
if [[ -z $PGBIN ]]; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
fi
[[ -n $PGBIN && -x $PGBIN/initdb && -x $PGBIN/pg_ctl ]] \
  || die "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin); run scripts/setup.sh"

verb=${1:-}
DIR=${2:-}
[[ -n $verb && -n $DIR ]] || die "usage: $0 start|stop|restart|url DIR [...]"
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
DATA=$DIR/data

as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# The address clients use: the first of LISTEN_ADDRESSES, 127.0.0.1 for a wildcard.
host_of() {
  local first=${1%%,*}
  first=${first// /}
  case $first in '' | '*' | 0.0.0.0 | '::') echo 127.0.0.1 ;; *:*) echo "[$first]" ;; *) echo "$first" ;; esac
}

url_of() {  # url_of DBNAME
  [[ -f $DIR/password && -f $DIR/port ]] || die "no cluster in $DIR; run: $0 start $DIR"
  echo "postgresql://autoglm:$(cat "$DIR/password")@$(host_of "$(cat "$DIR/listen" 2>/dev/null)"):$(cat "$DIR/port")/$1"
}

running() { [[ -f $DATA/postmaster.pid ]] && as_pg "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

wait_ready() {
  local port host; port=$(cat "$DIR/port")
  host=$(host_of "$(cat "$DIR/listen" 2>/dev/null)")
  host=${host#[}
  host=${host%]}
  for _ in $(seq 1 300); do
    "$PGBIN/pg_isready" -q -h "$host" -p "$port" -t 1 && return 0
    sleep 0.1
  done
  die "server in $DIR does not accept connections on $host:$port; see $DIR/log"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    port_free "$p" && { echo "$p"; return 0; }
  done
  die "no free TCP port found"
}

init_cluster() {
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' system user; run scripts/setup.sh"
    chown postgres "$DIR"
    runuser -u postgres -- test -w "$DIR" \
      || die "user postgres cannot write to $DIR; make its parent directories traversable (chmod o+x)"
  fi
  head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DIR/password"
  local pwfile=$DIR/.pwfile
  echo "postgres-$(cat "$DIR/password")" >"$pwfile"
  [[ $(id -u) -eq 0 ]] && chown postgres "$pwfile"
  as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --pwfile="$pwfile" -E UTF8 --locale=C >"$DIR/initdb.log" 2>&1 \
    || { rm -rf "$DATA"; die "initdb failed; see $DIR/initdb.log"; }
  rm -f "$pwfile"
  cat >>"$DATA/postgresql.conf" <<EOF
# scripts/test_pg.sh: a throw-away test cluster, fast rather than durable
unix_socket_directories = '$DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 300
logging_collector = off
log_min_messages = warning
EOF
  echo "host all all all scram-sha-256" >>"$DATA/pg_hba.conf"
}

start() {
  local port=${1:-} listen=${2:-127.0.0.1}
  if running; then
    wait_ready
    url_of postgres
    return 0
  fi
  [[ -f $DATA/PG_VERSION ]] || init_cluster
  [[ -z $port && -f $DIR/port ]] && port=$(cat "$DIR/port")
  local tries=1 chosen=$port
  [[ -z $port ]] && tries=5
  for ((i = 0; i < tries; i++)); do
    [[ -z $chosen ]] && chosen=$(pick_port)
    echo "$chosen" >"$DIR/port"
    echo "$listen" >"$DIR/listen"
    if as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$DIR/log" -w -t 60 \
         -o "-p $chosen -k '$DIR' -c listen_addresses='$listen'" start >/dev/null 2>&1 9<&-; then
      break
    fi
    [[ -n $port ]] && die "server in $DIR failed to start on port $port; see $DIR/log"
    chosen=""
    ((i + 1 < tries)) || die "server in $DIR failed to start; see $DIR/log"
  done
  wait_ready
  # Role `autoglm` (idempotent): creates the test databases, owns their public schema.
  local pw; pw=$(cat "$DIR/password")
  as_pg "$PGBIN/psql" -q -X -v ON_ERROR_STOP=1 -h "$DIR" -p "$(cat "$DIR/port")" -U postgres -d postgres >/dev/null <<EOF
SELECT 'CREATE ROLE autoglm LOGIN CREATEDB' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'autoglm')
\gexec
ALTER ROLE autoglm PASSWORD '$pw';
GRANT ALL ON SCHEMA public TO autoglm;
EOF
  url_of postgres >"$DIR/url"
  cat "$DIR/url"
}

stop() {
  if running; then
    as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
  fi
}

# Serialize every verb on DIR (start/stop/restart from several test processes at once).
exec 9<"$DIR"
flock 9

case $verb in
  start) start "${3:-}" "${4:-}" ;;
  stop) stop ;;
  restart)
    [[ -f $DATA/PG_VERSION ]] || die "no cluster in $DIR; run: $0 start $DIR"
    stop
    start "$(cat "$DIR/port")" "$(cat "$DIR/listen" 2>/dev/null || echo 127.0.0.1)" >/dev/null
    ;;
  url) url_of "${3:-postgres}" ;;
  *) die "unknown verb '$verb'; use start, stop, restart or url" ;;
esac
