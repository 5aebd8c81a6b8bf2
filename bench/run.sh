#!/usr/bin/env bash
# bench/run.sh - compare our `proxy` with HAProxy 2.6 on this machine.
#
# Both proxies run the same haproxy.cfg (nbthread 1) pinned to the same core,
# one after the other, in front of the same nginx backend, loaded by the same
# wrk command.  Prints medians of req/s, p50/p99 latency, CPU and req per
# CPU-second for each side plus the ratio proxy/HAProxy, and the resident
# memory per idle client connection.  See bench/README.md.
#
# Usage: bench/run.sh [--quick] [--runs N] [--duration S] [--scenarios a,b]
#                     [--idle-conns N] [--no-idle] [--baseline] [--list]
# Env:   PROXY_BIN    binary under test (default: build target/release/proxy)
#        HAPROXY_BIN  reference HAProxy (default: haproxy in PATH)
#        PROXY_CPU    core(s) for the proxy under test (default 1)
#        LOAD_CPU     core(s) for nginx and wrk (default 0)
set -Eeuo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
LIB="$BENCH_DIR/benchlib.py"
CMDLINE=""
[[ -n "${PROXY_BIN:-}" ]] && CMDLINE+="PROXY_BIN=$(printf '%q' "$PROXY_BIN") "
[[ -n "${HAPROXY_BIN:-}" ]] && CMDLINE+="HAPROXY_BIN=$(printf '%q' "$HAPROXY_BIN") "
CMDLINE+="bench/run.sh"
for a in "$@"; do CMDLINE+=" $(printf '%q' "$a")"; done

# ------------------------------------------------------------------ options
RUNS=3            # measurements per side and scenario; medians are reported
DURATION=10       # seconds per measurement (wrk -d)
WARMUP=2          # seconds of untimed wrk before each measurement
CONNS=50          # wrk -c
THREADS=1         # wrk -t
IDLE_CONNS=10000  # idle connections for the memory test (0 = skip)
IDLE_KINDS="tcp,http-fresh,http-ka,http-partial,https-ka"  # which idle tests (see IDLE_TABLE)
SCENARIOS="tcp-ka,tcp-close"
BASELINE=0        # also load the backend directly (no proxy) for reference
RENICE=1          # run everything under test with nice -10 when allowed
NOISY_PCT=10      # a measurement where the proxy waited longer for its core...
NOISY_RETRIES=2   # ...is repeated up to this many times (least noisy kept)
OUT="$BENCH_DIR/results/latest.md"

# Scenario table:
#   name|config function|mode|path|extra wrk header|description[|targets[|group]]
# A new scenario is one row; a config needing more than the basic template
# (e.g. an applet) gets its own cfg_* function below.  `targets` (default
# "proxy haproxy") says which proxies run it.  Selected rows that share a
# `group` run together: every (scenario, target) gets its own process and
# port, all are started first, and each run measures them all in turn
# (order rotating from run to run), so that their numbers come from the
# same stretch of time (e.g. the applet path against the in-core one).
SCENARIO_TABLE=(
  "tcp-ka|cfg_basic|tcp|/||mode tcp, keep-alive, small body"
  "tcp-close|cfg_basic|tcp|/|Connection: close|mode tcp, Connection: close, small body"
  "http-ka|cfg_basic|http|/||mode http, keep-alive, small body"
  "http-close|cfg_basic|http|/|Connection: close|mode http, Connection: close, small body"
  "http-ka-16k|cfg_basic|http|/16k.bin||mode http, keep-alive, 16 KiB body"
  "http-close-16k|cfg_basic|http|/16k.bin|Connection: close|mode http, Connection: close, 16 KiB body"
  "applet-hello|cfg_applet_hello|http|/||mode http, keep-alive, answered by the hello applet (http-request use-service hello)|proxy|applet"
  "incore-return|cfg_incore_return|http|/||mode http, keep-alive, answered in-core (http-request return)|proxy haproxy|applet"
  "stick-none|cfg_stick_none|http|/|lua:stick_keys.lua|mode http, keep-alive, in-core answer, x-key over 100,000 values, no stick table|proxy haproxy|stick"
  "stick-track|cfg_stick_track|http|/|lua:stick_keys.lua|mode http, keep-alive, in-core answer, http-request track-sc0 req.hdr(x-key) over 100,000 keys + a deny rule on sc0_http_req_rate|proxy haproxy|stick"
  "src-none|cfg_src_none|http|/|lua:stick_src.lua|mode http, keep-alive, in-core answer, set-src from x-src over 100,000 addresses, no stick table|proxy haproxy|stick-src"
  "src-track|cfg_src_track|http|/|lua:stick_src.lua|mode http, keep-alive, in-core answer, set-src + http-request track-sc0 src over 100,000 addresses + a deny rule on sc0_http_req_rate|proxy haproxy|stick-src"
  "map-none|cfg_map_none|http|/|lua:stick_keys.lua|mode http, keep-alive, in-core answer of the x-key header, no map (reference for the map scenarios)|proxy haproxy|map"
  "map-str|cfg_map_str|http|/|lua:stick_keys.lua|mode http, keep-alive, in-core answer, x-key looked up with map_str in a 100,000-entry map|proxy haproxy|map"
  "map-beg|cfg_map_beg|http|/|lua:stick_keys.lua|mode http, keep-alive, in-core answer, x-key looked up with map_beg in a 100,000-prefix map|proxy haproxy|map"
  "map-ip|cfg_map_ip|http|/|lua:stick_src.lua|mode http, keep-alive, in-core answer, x-src looked up with map_ip in a 100,000-network map|proxy haproxy|map"
  "log-none|cfg_log_none|http|/||mode http, keep-alive, in-core answer, no log (reference for log-20)|proxy haproxy|log"
  "log-20|cfg_log_20|http|/||mode http, keep-alive, in-core answer, a log-format of 20 variables sent to a UDP syslog address per request|proxy haproxy|log"
  "https-ka|cfg_tls_answer|https|/||TLS 1.3 (ECDSA P-256), keep-alive, in-core answer|proxy haproxy|tls"
  "https-resume|cfg_tls_answer|https|/|Connection: close|TLS 1.3 (ECDSA P-256), a new connection per request: resumed handshakes (session tickets), in-core answer|proxy haproxy|tls-hs"
  "https-full-ecdsa|cfg_tls_full_ecdsa|https|/|Connection: close|TLS 1.3, a new connection per request: full handshakes with an ECDSA P-256 certificate (no tickets, no session cache), in-core answer|proxy haproxy|tls-full"
  "https-full-rsa|cfg_tls_full_rsa|https|/|Connection: close|TLS 1.3, a new connection per request: full handshakes with an RSA-2048 certificate (no tickets, no session cache), in-core answer|proxy haproxy|tls-full"
  "cookie-insert|cfg_cookie_insert|http|/||mode http, keep-alive, small body from nginx, cookie SRV insert indirect nocache over 2 servers; the client sends no cookie, so every response gets a Set-Cookie"
  "https-1m|cfg_tls_backend|https|/1m.bin||TLS 1.3 (ECDSA P-256) keep-alive, 1 MiB body from nginx|proxy haproxy|tls-bulk"
  "rewrite10|cfg_rewrite10|http|/|x-list: a, b, c|mode http, keep-alive, small body from nginx after a chain of 10 rewriting http-request actions (set-path, set-query, set-header with formats, replace-header, replace-value, del-header, set-method, replace-path, set-uri)"
  "balance-uri|cfg_balance_uri|http|/u/check|lua:uri_paths.lua|mode http, keep-alive, balance uri over 4 servers (all the nginx backend), 100,000 distinct paths"
  "http-close-pp|cfg_close_pp|http|/|Connection: close|mode http, Connection: close, through a front HAProxy (mode tcp, send-proxy; the same for both targets) to a frontend with accept-proxy|proxy haproxy|pp"
  "http-close-pp-plain|cfg_close_pp_plain|http|/|Connection: close|http-close-pp's twin: the same front HAProxy without send-proxy, a frontend without accept-proxy|proxy haproxy|pp"
)

usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  cat <<EOF

Options:
  --quick           1 run of 3 s per side (smoke test), warm-up 1 s, 1 retry
  --runs N          measurements per side, alternating order (default $RUNS)
  --duration S      seconds per measurement (default $DURATION)
  --warmup S        untimed warm-up before each measurement (default $WARMUP)
  --connections C   wrk connections (default $CONNS)
  --scenarios LIST  comma-separated, "all" or "none" (default $SCENARIOS)
  --idle-conns N    idle connections for the memory test (default $IDLE_CONNS)
  --no-idle         skip the memory test
  --idle-kinds K    which idle tests: tcp,http-fresh,http-ka,http-partial,https-ka (default all)
  --baseline        also load the backend directly, without a proxy
  --no-renice       do not raise the priority (nice -10) of what is measured
  --noisy-retries N repeat a measurement disturbed by other load (the proxy
                    waited > $NOISY_PCT% for its core) up to N times (default $NOISY_RETRIES)
  --out FILE        Markdown report (default bench/results/latest.md)
  --list            list scenarios and exit
EOF
}

while (($#)); do
  case "$1" in
    --quick) RUNS=1; DURATION=3; WARMUP=1; NOISY_RETRIES=1 ;;
    --runs) RUNS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --connections) CONNS=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --scenarios) SCENARIOS=$2; shift ;;
    --idle-conns) IDLE_CONNS=$2; shift ;;
    --no-idle) IDLE_CONNS=0 ;;
    --idle-kinds) IDLE_KINDS=$2; shift ;;
    --baseline) BASELINE=1 ;;
    --no-renice) RENICE=0 ;;
    --noisy-retries) NOISY_RETRIES=$2; shift ;;
    --out) OUT=$2; shift ;;
    --list)
      for row in "${SCENARIO_TABLE[@]}"; do
        IFS='|' read -r n _ _ _ _ d tg gr <<<"$row"
        printf '%-16s %s%s%s\n' "$n" "$d" "${tg:+ [targets: $tg]}" "${gr:+ [group: $gr]}"
      done
      exit 0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$SCENARIOS" == none ]] && SCENARIOS=""
[[ "$SCENARIOS" == all ]] && SCENARIOS=$(for r in "${SCENARIO_TABLE[@]}"; do printf '%s,' "${r%%|*}"; done)

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ------------------------------------------------------------ dependencies
ensure_deps() {
  local missing=() pkgs=()
  command -v haproxy >/dev/null || [[ -n "${HAPROXY_BIN:-}" ]] || { missing+=(haproxy); pkgs+=(haproxy); }
  command -v wrk >/dev/null || { missing+=(wrk); pkgs+=(wrk); }
  command -v nginx >/dev/null || [[ -n "${NGINX_BIN:-}" ]] || { missing+=(nginx); pkgs+=(nginx-light); }
  command -v taskset >/dev/null || { missing+=(taskset); pkgs+=(util-linux); }
  if ((${#pkgs[@]})); then
    log "installing missing tools: ${missing[*]}"
    local sudo=""
    ((EUID == 0)) || sudo="sudo"
    command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get; install them by hand"
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${pkgs[@]}"
  fi
  command -v python3 >/dev/null || die "python3 is required"
}
export PATH="$PATH:/usr/sbin:/sbin"   # haproxy and nginx live in /usr/sbin
ensure_deps
HAPROXY_BIN=${HAPROXY_BIN:-$(command -v haproxy)}
NGINX_BIN=${NGINX_BIN:-$(command -v nginx)}
WRK_BIN=$(command -v wrk)

if [[ -z "${PROXY_BIN:-}" ]]; then
  # applet-hello too: the `applet-hello` scenario loads libapplet_hello.so,
  # which lands next to the binary in target/release.
  log "building proxy (cargo build --release -p proxy-bin -p applet-hello)"
  (cd "$ROOT" && cargo build --release -p proxy-bin -p applet-hello) || die "cargo build failed"
  PROXY_BIN="$ROOT/target/release/proxy"
fi
[[ -x "$PROXY_BIN" ]] || die "PROXY_BIN=$PROXY_BIN is not executable"
[[ -x "$HAPROXY_BIN" ]] || die "HAProxy not found (set HAPROXY_BIN)"

# ----------------------------------------------------------------- limits
ulimit -n 100000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
[[ "$NOFILE" == unlimited ]] && NOFILE=1048576
IDLE_REQUESTED=$IDLE_CONNS
if ((IDLE_CONNS > 0)); then
  # The proxy holds two descriptors per idle client (client + server side).
  max_idle=$(( (NOFILE - 300) / 2 / 100 * 100 ))
  if ((IDLE_CONNS > max_idle)); then
    log "open-files limit is $NOFILE: idle test reduced to $max_idle connections"
    IDLE_CONNS=$max_idle
  fi
fi
IDLE_MAXCONN=$(( (NOFILE - 200) / 2 )); ((IDLE_MAXCONN > 20000)) && IDLE_MAXCONN=20000
LOAD_MAXCONN=4096
NGINX_CONNS=$(( NOFILE < 30000 ? NOFILE : 30000 ))

# ---------------------------------------------------------------- pinning
NCPU=$(nproc)
if ((NCPU >= 2)); then
  PROXY_CPU=${PROXY_CPU:-1}
  LOAD_CPU=${LOAD_CPU:-0}
  PIN_PROXY=(taskset -c "$PROXY_CPU")
  PIN_LOAD=(taskset -c "$LOAD_CPU")
  PINNING="proxy under test on core $PROXY_CPU; nginx and wrk on core $LOAD_CPU"
else
  PIN_PROXY=(); PIN_LOAD=(); PROXY_CPU=""; LOAD_CPU=""
  PINNING="none (only one CPU): numbers are not meaningful"
  log "WARNING: only one CPU, running without pinning"
fi

# Run the proxies, nginx and wrk at a higher priority than the rest of the
# machine when allowed (same for both sides): less noise from other work.
PRIO=() PRIORITY="normal (nice 0)"
if ((RENICE)) && [[ -z "$(nice -n -10 true 2>&1)" ]]; then
  PRIO=(nice -n -10) PRIORITY="nice -10 for the proxies, nginx and wrk"
fi
PIN_PROXY=("${PRIO[@]}" "${PIN_PROXY[@]}")
PIN_LOAD=("${PRIO[@]}" "${PIN_LOAD[@]}")

# ------------------------------------------------------------- workspace
STAMP=$(date +%Y%m%d-%H%M%S)
RUN_DIR="$BENCH_DIR/results/runs/$STAMP"
mkdir -p "$RUN_DIR" "$(dirname "$OUT")"
STATE=$(mktemp -d /tmp/proxy-bench.XXXXXX)
chmod 755 "$STATE"
RESULTS="$RUN_DIR/results.jsonl"
: >"$RESULTS"

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$STATE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_pid() {  # stop_pid PID: TERM, then KILL after 3 s
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local keep=() p
  for p in "${PIDS[@]}"; do [[ "$p" == "$pid" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

read -r BACKEND_PORT PORT_proxy PORT_haproxy < <(python3 "$LIB" free-ports 3 --base $((20000 + ($$ % 500) * 20)))
PORT_direct=$BACKEND_PORT

# ---------------------------------------------------------------- backend
start_backend() {
  mkdir -p "$STATE/www" "$STATE/nginx-tmp"
  python3 -c 'import sys; sys.stdout.write("x" * 16384)' >"$STATE/www/16k.bin"
  python3 -c 'import sys; sys.stdout.write("x" * 1048576)' >"$STATE/www/1m.bin"
  chmod -R a+rX "$STATE/www"
  cat >"$STATE/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile $NOFILE;
daemon off;
pid $STATE/nginx.pid;
error_log $RUN_DIR/nginx-error.log warn;
events { worker_connections $NGINX_CONNS; use epoll; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 600s;
  client_header_timeout 600s;
  client_body_temp_path $STATE/nginx-tmp/body;
  proxy_temp_path $STATE/nginx-tmp/proxy;
  fastcgi_temp_path $STATE/nginx-tmp/fastcgi;
  uwsgi_temp_path $STATE/nginx-tmp/uwsgi;
  scgi_temp_path $STATE/nginx-tmp/scgi;
  server {
    listen 127.0.0.1:$BACKEND_PORT backlog=4096;
    root $STATE/www;
    location = / { default_type text/plain; return 200 "hello from the bench backend\n"; }
    location /u/ { default_type text/plain; return 200 "hello from the bench backend\n"; }
    location / { }
  }
}
EOF
  "${PIN_LOAD[@]}" "$NGINX_BIN" -p "$STATE" -c "$STATE/nginx.conf" >"$RUN_DIR/nginx.out" 2>&1 &
  NGINX_PID=$!
  PIDS+=("$NGINX_PID")
  python3 "$LIB" wait-port "$BACKEND_PORT" --pid "$NGINX_PID" ||
    { cat "$RUN_DIR/nginx.out" "$RUN_DIR/nginx-error.log" >&2 2>/dev/null; die "nginx did not start"; }
  python3 "$LIB" http-check "$BACKEND_PORT" --path / || die "backend check failed"
  python3 "$LIB" http-check "$BACKEND_PORT" --path /16k.bin || die "backend check failed"
}

# -------------------------------------------------------- proxy configs
# cfg_* FILE MODE LISTEN_PORT MAXCONN TIMEOUT: write a haproxy.cfg.
cfg_basic() {
  local file=$1 mode=$2 port=$3 maxconn=$4 tmo=$5
  cat >"$file" <<EOF
global
    nbthread 1
    maxconn $maxconn

defaults
    mode $mode
    timeout connect 5s
    timeout client $tmo
    timeout server $tmo

frontend fe_bench
    bind 127.0.0.1:$port
    default_backend be_bench

backend be_bench
    server s1 127.0.0.1:$BACKEND_PORT
EOF
}

# `balance uri` over four servers that are all the nginx backend: the
# cost is the hashing and the choice, not the servers.
cfg_balance_uri() {  # same arguments as cfg_basic
  cfg_basic "$@"
  sed -i 's/^backend be_bench$/backend be_bench\n    balance uri/' "$1"
  local i
  for i in 2 3 4; do echo "    server s$i 127.0.0.1:$BACKEND_PORT" >>"$1"; done
}

# PROXY protocol on the accept side: wrk cannot send a PROXY header, so a
# front HAProxy in mode tcp (pinned with the load, identical for both
# targets) listens on the port wrk hits and forwards each connection to
# the measured proxy, with `send-proxy` (`pp`) or without (the twin). The
# front process lives until the end of the run (idle after its group).
cfg_front_layer() {  # cfg_front_layer FILE PORT pp|plain: sets INNER_PORT
  local file=$1 port=$2 send=""
  INNER_PORT=$(python3 "$LIB" free-ports 1 --base $((port + 3000)))
  [[ "$3" == pp ]] && send=" send-proxy"
  cat >"$file.front" <<EOF
global
    nbthread 1
    maxconn $LOAD_MAXCONN

defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s

listen front
    bind 127.0.0.1:$port
    server measured 127.0.0.1:$INNER_PORT$send
EOF
  "${PIN_LOAD[@]}" "$HAPROXY_BIN" -f "$file.front" -db >"$file.front.log" 2>&1 &
  PIDS+=($!)
}
cfg_close_pp() {  # same arguments as cfg_basic
  cfg_front_layer "$1" "$3" pp
  cfg_basic "$1" "$2" "$INNER_PORT" "$4" "$5"
  sed -i "s/^    bind 127.0.0.1:$INNER_PORT\$/& accept-proxy/" "$1"
}
cfg_close_pp_plain() {  # same arguments as cfg_basic
  cfg_front_layer "$1" "$3" plain
  cfg_basic "$1" "$2" "$INNER_PORT" "$4" "$5"
}

# Cookie persistence in insert mode: two servers (both the nginx backend),
# each response gets the proxy's Set-Cookie.
cfg_cookie_insert() {  # same arguments as cfg_basic
  local file=$1 port=$3 maxconn=$4 tmo=$5
  cat >"$file" <<EOF
global
    nbthread 1
    maxconn $maxconn

defaults
    mode http
    timeout connect 5s
    timeout client $tmo
    timeout server $tmo

frontend fe_bench
    bind 127.0.0.1:$port
    default_backend be_bench

backend be_bench
    cookie SRV insert indirect nocache
    server s1 127.0.0.1:$BACKEND_PORT cookie a1
    server s2 127.0.0.1:$BACKEND_PORT cookie b2
EOF
}

# An HTTP frontend that answers by itself (no backend): only the answering
# rule differs between the scenarios that use it.
cfg_local_answer() {  # cfg_local_answer FILE PORT MAXCONN TIMEOUT GLOBAL_EXTRA RULE
  local file=$1 port=$2 maxconn=$3 tmo=$4 gextra=$5 rule=$6
  cat >"$file" <<EOF
global
    nbthread 1
    maxconn $maxconn
$gextra

defaults
    mode http
    timeout connect 5s
    timeout client $tmo
    timeout server $tmo

frontend fe_bench
    bind 127.0.0.1:$port
    $rule
EOF
}

# The hello applet (examples/applets/hello) answers "Hello, world!\n" with a
# content-length. The proxy loads it from its own directory; `applet-load`
# names it too (the same file is loaded once), so that a PROXY_BIN outside
# target/release still finds it.
hello_lib() {
  local d
  d=$(dirname "$PROXY_BIN")
  if [[ -f "$d/libapplet_hello.so" ]]; then echo "$d/libapplet_hello.so"
  else echo "$ROOT/target/release/libapplet_hello.so"; fi
}
cfg_applet_hello() {  # same arguments as cfg_basic
  local lib gextra=""
  lib=$(hello_lib)
  [[ -f "$lib" ]] && gextra="    applet-load $lib"
  cfg_local_answer "$1" "$3" "$4" "$5" "$gextra" "http-request use-service hello"
}
# The same answer from the core: same status, content type and 14-byte body.
cfg_incore_return() {  # same arguments as cfg_basic
  cfg_local_answer "$1" "$3" "$4" "$5" "" \
    'http-request return status 200 content-type text/plain string "Hello, world!\n"'
}

# Stick tables: both answer in-core (no backend) so that the proxy is the
# bottleneck; wrk sends `x-key: k<n>` cycling over 100,000 values
# (stick_keys.lua). `stick-track` tracks each key in a string table large
# enough for all of them and reads the rate back in a deny rule.
cfg_stick_none() {  # same arguments as cfg_basic
  cfg_local_answer "$1" "$3" "$4" "$5" "" \
    'http-request return status 200 content-type text/plain string "Hello, world!\n"'
}
cfg_stick_track() {  # same arguments as cfg_basic
  cfg_local_answer "$1" "$3" "$4" "$5" "" \
    'stick-table type string len 32 size 200k expire 60s store http_req_cnt,http_req_rate(10s)
    http-request track-sc0 req.hdr(x-key)
    http-request deny deny_status 429 if { sc0_http_req_rate gt 1000000 }
    http-request return status 200 content-type text/plain string "Hello, world!\n"'
}

# The same with the client address as the key: `set-src` takes it from
# the x-src header (stick_src.lua, 100,000 addresses), `track-sc0 src`
# tracks it in an `ip` table. `src-none` pays for set-src alone.
cfg_src_none() {  # same arguments as cfg_basic
  cfg_local_answer "$1" "$3" "$4" "$5" "" \
    'http-request set-src hdr(x-src)
    http-request return status 200 content-type text/plain string "Hello, world!\n"'
}
cfg_src_track() {  # same arguments as cfg_basic
  cfg_local_answer "$1" "$3" "$4" "$5" "" \
    'stick-table type ip size 200k expire 60s store http_req_cnt,http_req_rate(10s)
    http-request set-src hdr(x-src)
    http-request track-sc0 src
    http-request deny deny_status 429 if { sc0_http_req_rate gt 1000000 }
    http-request return status 200 content-type text/plain string "Hello, world!\n"'
}

# Maps: both answer in-core with the looked-up value of a request header;
# the map files (100,000 entries) are written once into $STATE.
# `map-none` answers the header itself, the cost without a lookup.
map_files() {
  [[ -f "$STATE/keys.map" ]] && return
  python3 - "$STATE" <<'PY'
import sys
d = sys.argv[1]
with open(d + "/keys.map", "w") as f:
    for n in range(100000):
        f.write("k%d v%d\n" % (n, n))
with open(d + "/nets.map", "w") as f:
    # /32 hosts of the addresses stick_src.lua sends, as 100,000 entries
    # of mixed prefix lengths: /24 networks where a whole one is listed.
    for n in range(100000):
        f.write("10.%d.%d.%d/32 h%d\n" % (n // 65536, (n // 256) % 256, n % 256, n))
PY
}
cfg_map_none() {  # same arguments as cfg_basic
  cfg_local_answer "$1" "$3" "$4" "$5" "" \
    'http-request return status 200 content-type text/plain lf-string "%[req.hdr(x-key)]"'
}
cfg_map_str() {  # same arguments as cfg_basic
  map_files
  cfg_local_answer "$1" "$3" "$4" "$5" "" \
    "http-request return status 200 content-type text/plain lf-string \"%[req.hdr(x-key),map_str($STATE/keys.map,none)]\""
}
cfg_map_beg() {  # same arguments as cfg_basic
  map_files
  cfg_local_answer "$1" "$3" "$4" "$5" "" \
    "http-request return status 200 content-type text/plain lf-string \"%[req.hdr(x-key),map_beg($STATE/keys.map,none)]\""
}
cfg_map_ip() {  # same arguments as cfg_basic
  map_files
  cfg_local_answer "$1" "$3" "$4" "$5" "" \
    "http-request return status 200 content-type text/plain lf-string \"%[req.hdr(x-src),map_ip($STATE/nets.map,none)]\""
}

# Logs: the same in-core answer, without a log and with a 20-variable
# log-format sent over UDP to a port nobody listens on (both proxies
# format and send every line; the datagrams are dropped by the kernel).
LOG_20='%ci %cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %tsc %ac/%fc/%bc/%sc/%rc %sq %bq %{+Q}r'
cfg_log_none() {  # same arguments as cfg_basic
  cfg_local_answer "$1" "$3" "$4" "$5" "" \
    'http-request return status 200 content-type text/plain string "Hello, world!\n"'
}
cfg_log_20() {  # same arguments as cfg_basic
  cfg_local_answer "$1" "$3" "$4" "$5" "    log 127.0.0.1:9 local0" \
    "log global
    log-format \"$LOG_20\"
    http-request return status 200 content-type text/plain string \"Hello, world!\\n\""
}

# rewrite10: the basic forwarding config plus 10 rewriting actions that
# leave the request for nginx as `GET /` (so that it still answers 200).
cfg_rewrite10() {  # same arguments as cfg_basic
  cfg_basic "$@"
  sed -i '/^    default_backend be_bench/i\
    http-request set-path /v1%[path]\
    http-request set-query a=1\&b=2\
    http-request set-header x-forwarded-path %[path]\
    http-request replace-header host ^(.*)$ \\1\
    http-request add-header x-trace %[method]-%[path]\
    http-request del-header accept\
    http-request replace-value x-list ^b$ B\
    http-request set-method GET\
    http-request replace-path ^/v1(.*)$ \\1\
    http-request set-uri %[path]' "$1"
}

# TLS scenarios: certificates made once per run (never committed).
make_certs() {
  [[ -f "$STATE/ecdsa.pem" ]] && return
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=bench.test -keyout "$STATE/ecdsa.key" -out "$STATE/ecdsa.crt" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
    -subj /CN=bench.test -keyout "$STATE/rsa.key" -out "$STATE/rsa.crt" 2>/dev/null
  cat "$STATE/ecdsa.crt" "$STATE/ecdsa.key" >"$STATE/ecdsa.pem"
  cat "$STATE/rsa.crt" "$STATE/rsa.key" >"$STATE/rsa.pem"
  chmod 644 "$STATE"/*.pem
}
# cfg_tls FILE PORT MAXCONN TIMEOUT PEM GLOBAL_EXTRA BIND_EXTRA FRONTEND_BODY
cfg_tls() {
  make_certs
  cat >"$1" <<EOF
global
    nbthread 1
    maxconn $3
$6

defaults
    mode http
    timeout connect 5s
    timeout client $4
    timeout server $4

frontend fe_bench
    bind 127.0.0.1:$2 ssl crt $STATE/$5 $7
$8
EOF
}
TLS_ANSWER='    http-request return status 200 content-type text/plain string "Hello, world!\n"'
cfg_tls_answer() {  # same arguments as cfg_basic
  cfg_tls "$1" "$3" "$4" "$5" ecdsa.pem "" "" "$TLS_ANSWER"
}
cfg_tls_full_ecdsa() {
  cfg_tls "$1" "$3" "$4" "$5" ecdsa.pem "    tune.ssl.cachesize 0" "no-tls-tickets" "$TLS_ANSWER"
}
cfg_tls_full_rsa() {
  cfg_tls "$1" "$3" "$4" "$5" rsa.pem "    tune.ssl.cachesize 0" "no-tls-tickets" "$TLS_ANSWER"
}
cfg_tls_backend() {
  cfg_tls "$1" "$3" "$4" "$5" ecdsa.pem "" "" "    default_backend be_bench

backend be_bench
    server s1 127.0.0.1:$BACKEND_PORT"
}

# wrk arguments for a scenario's header column: `lua:<file>` runs that wrk
# script from bench/, anything else is one extra header.
wrk_extra() {
  local hdr=$1
  if [[ "$hdr" == lua:* ]]; then printf '%s\n' -s "$BENCH_DIR/${hdr#lua:}"
  elif [[ -n "$hdr" ]]; then printf '%s\n' -H "$hdr"; fi
}

tls_flag() { [[ "$1" == https-* ]] && echo --tls || true; }

bin_of() { case $1 in proxy) echo "$PROXY_BIN" ;; haproxy) echo "$HAPROXY_BIN" ;; esac; }

# start_target TARGET CFG TAG [PORT] -> sets TPID (empty on failure, reason
# in TFAIL). PORT defaults to the target's own port (PORT_proxy, ...).
start_target() {
  local t=$1 cfg=$2 tag=$3 port_var="PORT_$1" out
  local port=${4:-${!port_var}}
  out="$RUN_DIR/$t-$tag.log"
  TPID="" TFAIL=""
  "${PIN_PROXY[@]}" "$(bin_of "$t")" -f "$cfg" -db >"$out" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  if ! python3 "$LIB" wait-port "$port" --pid "$pid" 2>>"$out"; then
    TFAIL="did not start listening on $port (log: ${out#"$ROOT"/})"
    stop_pid "$pid"; return 1
  fi
  TPID=$pid
}

cpu_ticks() { python3 "$LIB" cpu-ticks "$1" 2>/dev/null || echo ""; }
now() { date +%s.%N; }
CLK_TCK=$(getconf CLK_TCK)
STEAL_CPU=-1; [[ "${PROXY_CPU:-}" =~ ^[0-9]+$ ]] && STEAL_CPU=$PROXY_CPU

record_failure() {  # record_failure SCENARIO TARGET REP REASON
  python3 -c 'import json,sys; print(json.dumps({"scenario":sys.argv[1],"target":sys.argv[2],"rep":int(sys.argv[3]),"failed":sys.argv[4]}))' \
    "$1" "$2" "$3" "$4" >>"$RESULTS"
}

# measure SCENARIO TARGET REP ORDER PATH HEADER DESC PID [PORT]
measure() {
  local sc=$1 t=$2 rep=$3 order=$4 path=$5 hdr=$6 desc=$7 pid=$8 port_var="PORT_$2"
  local port=${9:-${!port_var}}
  local scheme=http
  [[ "$sc" == https-* ]] && scheme=https
  local url="$scheme://127.0.0.1:$port$path" raw="$RUN_DIR/wrk-$sc-$t-$rep"
  local hargs=() attempt rec best="" best_wait="" wait
  mapfile -t hargs < <(wrk_extra "$hdr")
  # A measurement during which the proxy waited for its core more than
  # NOISY_PCT % of the time is repeated (NOISY_RETRIES times at most); the
  # least disturbed attempt is kept.
  for ((attempt = 1; attempt <= NOISY_RETRIES + 1; attempt++)); do
    rec=$(measure_once "$raw.$attempt.txt" "$url" "$pid" "${hargs[@]}" \
      --field "scenario=$sc" --field "target=$t" --field "rep=$rep" \
      --field "order=$order" --field "desc=$desc" --field "attempt=$attempt")
    wait=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("wait_pct", -1))' "$rec")
    if [[ -z "$best" ]] || awk -v a="$wait" -v b="$best_wait" 'BEGIN { exit !(a < b) }'; then
      best=$rec best_wait=$wait
    fi
    awk -v a="$wait" -v m="$NOISY_PCT" 'BEGIN { exit !(a <= m) }' && break
    ((attempt <= NOISY_RETRIES)) &&
      log "    $t: proxy waited ${wait%%.*}% of the time for its core (noise), measuring again"
  done
  printf '%s\n' "$best" >>"$RESULTS"
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); f=lambda v, p: "n/a" if v is None else "%.*f" % (p, v); print("    %-8s req/s=%s p50=%sms p99=%sms cpu=%s%% wait=%s%% errors=%s/%s%s" % (r["target"], f(r.get("rps"), 0), f(r.get("p50_ms"), 3), f(r.get("p99_ms"), 3), f(r.get("cpu_pct"), 1), f(r.get("wait_pct"), 1), r.get("errors"), r.get("non2xx"), ("  FAILED: "+r["failed"]) if r.get("failed") else ""))' "$best" >&2
}

# measure_once RAWFILE URL PID [WRK_HEADER_ARGS...] --field k=v ...: warm up,
# run wrk once while sampling the proxy's CPU and run delay; print one JSON line.
measure_once() {
  local raw=$1 url=$2 pid=$3 hargs=() extra=()
  shift 3
  while (($#)); do
    case $1 in
      -H|-s) hargs+=("$1" "$2"); shift 2 ;;
      *) extra+=("$1"); shift ;;
    esac
  done
  if ((WARMUP > 0)); then
    timeout $((WARMUP + 30)) "${PIN_LOAD[@]}" "$WRK_BIN" -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" \
      "${hargs[@]}" "$url" >/dev/null 2>&1 || true
  fi
  local c0="" c1="" w0 w1 k0="" k1="" s0 s1
  [[ -n "$pid" ]] && c0=$(cpu_ticks "$pid")
  [[ -n "$pid" ]] && read -r k0 s0 < <(python3 "$LIB" noise-sample "$pid" "$STEAL_CPU")
  w0=$(now)
  timeout $((DURATION + 30)) "${PIN_LOAD[@]}" "$WRK_BIN" -t"$THREADS" -c"$CONNS" -d"${DURATION}s" \
    --latency "${hargs[@]}" "$url" >"$raw" 2>&1 || true
  w1=$(now)
  [[ -n "$pid" ]] && c1=$(cpu_ticks "$pid")
  [[ -n "$k0" ]] && read -r k1 s1 < <(python3 "$LIB" noise-sample "$pid" "$STEAL_CPU")
  local fields=("${extra[@]}" --field "clk_tck=$CLK_TCK"
    --field "wall_s=$(python3 -c "print(round($w1 - $w0, 3))")")
  if [[ -n "$c0" && -n "$c1" ]]; then
    fields+=(--field "cpu_ticks=$((c1 - c0))")
    [[ -n "$k1" ]] && fields+=(--field "run_delay_ns=$((k1 - k0))" --field "steal_ticks=$((s1 - s0))")
  elif [[ -n "$pid" ]]; then
    fields+=(--field "failed=process exited during the load")
  fi
  python3 "$LIB" parse-wrk "$raw" "${fields[@]}"
}

run_scenario() {
  local row=$1 name cfgfn mode path hdr desc tg t rep
  IFS='|' read -r name cfgfn mode path hdr desc tg _ <<<"$row"
  log "scenario $name: $desc"
  local run_targets
  read -r -a run_targets <<<"${tg:-proxy haproxy}"
  declare -A pid_of=()
  for t in "${run_targets[@]}"; do
    local cfg="$RUN_DIR/$t-$name.cfg" port_var="PORT_$t"
    "$cfgfn" "$cfg" "$mode" "${!port_var}" "$LOAD_MAXCONN" 30s
    if start_target "$t" "$cfg" "$name" &&
       python3 "$LIB" http-check "${!port_var}" --path "$path" $(tls_flag "$name") 2>>"$RUN_DIR/$t-$name.log"; then
      pid_of[$t]=$TPID
    else
      [[ -z "$TFAIL" ]] && TFAIL="health check GET $path through it failed (log: ${RUN_DIR#"$ROOT"/}/$t-$name.log)"
      [[ -n "$TPID" ]] && stop_pid "$TPID"
      log "  $t FAILED: $TFAIL"
      for ((rep = 1; rep <= RUNS; rep++)); do record_failure "$name" "$t" "$rep" "$TFAIL"; done
    fi
  done
  for ((rep = 1; rep <= RUNS; rep++)); do
    local order=("${run_targets[@]}")
    ((rep % 2 == 0)) && mapfile -t order < <(printf '%s\n' "${run_targets[@]}" | tac)
    ((BASELINE)) && order+=(direct)
    log "  run $rep/$RUNS (order: ${order[*]})"
    for t in "${order[@]}"; do
      if [[ "$t" == direct ]]; then
        measure "$name" direct "$rep" "${order[*]}" "$path" "$hdr" "$desc" ""
      elif [[ -n "${pid_of[$t]:-}" ]]; then
        measure "$name" "$t" "$rep" "${order[*]}" "$path" "$hdr" "$desc" "${pid_of[$t]}"
      fi
    done
  done
  for t in "${!pid_of[@]}"; do stop_pid "${pid_of[$t]}"; done
}

# run_group ROW...: the rows of one group, interleaved. Every (scenario,
# target) pair gets its own process on its own port; all start first, then
# each run measures every pair once, the order rotating by one from run to
# run, so that slow drifts of the machine hit them all alike.
run_group() {
  local rows=("$@") row name cfgfn mode path hdr desc tg t rep i k=0 nports=0 key
  local keys=() ports=() ts=()
  declare -A pid_of=() port_of=() row_of=()
  for row in "${rows[@]}"; do
    IFS='|' read -r name cfgfn mode path hdr desc tg _ <<<"$row"
    read -r -a ts <<<"${tg:-proxy haproxy}"
    nports=$((nports + ${#ts[@]}))
  done
  read -r -a ports < <(python3 "$LIB" free-ports "$nports" --base $((PORT_haproxy + 1)))
  for row in "${rows[@]}"; do
    IFS='|' read -r name cfgfn mode path hdr desc tg _ <<<"$row"
    log "scenario $name: $desc"
    read -r -a ts <<<"${tg:-proxy haproxy}"
    for t in "${ts[@]}"; do
      local port=${ports[$k]} cfg="$RUN_DIR/$t-$name.cfg"
      key="$name/$t"
      k=$((k + 1))
      "$cfgfn" "$cfg" "$mode" "$port" "$LOAD_MAXCONN" 30s
      if start_target "$t" "$cfg" "$name" "$port" &&
         python3 "$LIB" http-check "$port" --path "$path" $(tls_flag "$name") 2>>"$RUN_DIR/$t-$name.log"; then
        keys+=("$key"); pid_of[$key]=$TPID; port_of[$key]=$port; row_of[$key]=$row
      else
        [[ -z "$TFAIL" ]] && TFAIL="health check GET $path through it failed (log: ${RUN_DIR#"$ROOT"/}/$t-$name.log)"
        [[ -n "$TPID" ]] && stop_pid "$TPID"
        log "  $name/$t FAILED: $TFAIL"
        for ((rep = 1; rep <= RUNS; rep++)); do record_failure "$name" "$t" "$rep" "$TFAIL"; done
      fi
    done
  done
  local n=${#keys[@]}
  for ((rep = 1; rep <= RUNS; rep++)); do
    local order=()
    for ((i = 0; i < n; i++)); do order+=("${keys[$(( (i + rep - 1) % n ))]}"); done
    log "  run $rep/$RUNS (order: ${order[*]})"
    for key in "${order[@]}"; do
      IFS='|' read -r name cfgfn mode path hdr desc tg _ <<<"${row_of[$key]}"
      measure "$name" "${key#*/}" "$rep" "${order[*]}" "$path" "$hdr" "$desc" \
        "${pid_of[$key]}" "${port_of[$key]}"
    done
  done
  for key in "${keys[@]}"; do stop_pid "${pid_of[$key]}"; done
}

# Idle kinds: name|mode|bytes sent|read the response
IDLE_TABLE=(
  "tcp|tcp||"
  "http-fresh|http||"
  "http-ka|http|GET / HTTP/1.1\\r\\nHost: bench\\r\\n\\r\\n|read"
  "http-partial|http|GET / HTTP/1.1\\r\\nHost: bench\\r\\n|"
  "https-ka|https|GET / HTTP/1.1\\r\\nHost: bench\\r\\n\\r\\n|read"
)

run_idle() {
  local row
  for row in "${IDLE_TABLE[@]}"; do
    [[ ",$IDLE_KINDS," == *",${row%%|*},"* ]] && run_idle_kind "$row"
  done
}

run_idle_kind() {
  local t cfg port_var kind mode send read extra=()
  IFS='|' read -r kind mode send read <<<"$1"
  [[ -n "$send" ]] && extra+=(--send "$send")
  [[ -n "$read" ]] && extra+=(--read-response)
  local cfgfn=cfg_basic
  if [[ "$mode" == https ]]; then cfgfn=cfg_tls_backend; mode=http; extra+=(--tls); fi
  log "idle memory ($kind): $IDLE_CONNS connections per proxy (mode $mode, maxconn $IDLE_MAXCONN)"
  for t in proxy haproxy; do
    cfg="$RUN_DIR/$t-idle-$kind.cfg"; port_var="PORT_$t"
    "$cfgfn" "$cfg" "$mode" "${!port_var}" "$IDLE_MAXCONN" 10m
    if ! start_target "$t" "$cfg" idle; then
      python3 -c 'import json,sys; print(json.dumps({"kind":"idle","target":sys.argv[1],"failed":sys.argv[2]}))' \
        "$t" "$TFAIL" >>"$RESULTS"
      log "  $t FAILED: $TFAIL"; continue
    fi
    sleep 1
    timeout 150 python3 "$BENCH_DIR/idle_conns.py" --port "${!port_var}" --count "$IDLE_CONNS" \
      --pid "$TPID" --timeout 120 --field "target=$t" --field "idle_kind=$kind" "${extra[@]}" |
      tee -a "$RESULTS" |
      python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); print("    %-8s rss %s -> %s KiB, %s conns held, fds %s, %s bytes/conn%s" % (r["target"], r.get("rss_before_kb"), r.get("rss_after_kb"), r.get("connected"), r.get("fds_after"), round(r["bytes_per_conn"]) if "bytes_per_conn" in r else "n/a", ("  FAILED: "+r["failed"]) if r.get("failed") else ""))' >&2 ||
      log "  $t: idle test did not complete"
    stop_pid "$TPID"
    sleep 1   # let the backend drop the server-side connections
  done
}

first_line() { timeout 5 "$@" 2>&1 | head -n1 || true; }

# -------------------------------------------------------------------- main
log "results and logs: ${RUN_DIR#"$ROOT"/}"
log "ports: backend $BACKEND_PORT, proxy $PORT_proxy, haproxy $PORT_haproxy; nofile $NOFILE"
start_backend

declare -A GROUP_DONE=()
for sel in ${SCENARIOS//,/ }; do
  found=""
  for row in "${SCENARIO_TABLE[@]}"; do
    if [[ "${row%%|*}" == "$sel" ]]; then found=$row; break; fi
  done
  [[ -n "$found" ]] || die "unknown scenario '$sel' (see --list)"
  IFS='|' read -r _ _ _ _ _ _ _ group <<<"$found"
  if [[ -z "$group" ]]; then
    run_scenario "$found"
  elif [[ -z "${GROUP_DONE[$group]:-}" ]]; then
    # Every selected row of this group, in table order, runs together.
    GROUP_DONE[$group]=1
    members=()
    for row in "${SCENARIO_TABLE[@]}"; do
      IFS='|' read -r n _ _ _ _ _ _ g <<<"$row"
      [[ "$g" == "$group" && ",$SCENARIOS," == *",$n,"* ]] && members+=("$row")
    done
    run_group "${members[@]}"
  fi
done
((IDLE_CONNS > 0)) && run_idle

HAPROXY_VERSION=$(first_line "$HAPROXY_BIN" -v)
PROXY_VERSION=$(first_line "$PROXY_BIN" -v)
[[ -n "$PROXY_VERSION" ]] || PROXY_VERSION="(no output from -v)"
PROXY_LABEL="proxy"
NOTES=()
if [[ "$PROXY_VERSION" == HAProxy* ]]; then
  PROXY_LABEL="proxy (= HAProxy, sanity run)"
  NOTES+=("PROXY_BIN is HAProxy itself ($PROXY_BIN): this is a sanity run of the harness, every ratio should be close to 1.00; the spread shows the noise of this machine.")
fi
NOTES+=("Each proxy runs alone on its core while loaded; both run the same haproxy.cfg (see ${RUN_DIR#"$ROOT"/}/*.cfg); raw wrk output and logs are in ${RUN_DIR#"$ROOT"/}/.")
NOTES+=("nginx and wrk share core $LOAD_CPU${NCPU:+ of $NCPU}: when both proxies stay below 100% CPU the backend side is the bottleneck and req/s are close; compare CPU % and req per CPU-second then.")
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
NOTES+=("Load average at the end of the run: $LOADAVG (other activity on the machine adds noise).")

notes_joined=$(IFS='|'; echo "${NOTES[*]}" | sed 's/|/||/g')
CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
MEM_TOTAL=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)

python3 "$LIB" report "$RESULTS" \
  --meta "date=$(date -u '+%Y-%m-%d %H:%M:%S UTC')" \
  --meta "machine=$NCPU CPUs, ${CPU_MODEL:-unknown CPU}, $MEM_TOTAL RAM, Linux $(uname -r)" \
  --meta "proxy_version=$PROXY_VERSION ($PROXY_BIN)" \
  --meta "haproxy_version=$HAPROXY_VERSION ($HAPROXY_BIN)" \
  --meta "backend_version=$("$NGINX_BIN" -v 2>&1 | head -n1), worker_processes 1, access_log off" \
  --meta "wrk_version=$(first_line "$WRK_BIN" -v)" \
  --meta "pinning=$PINNING; priority: $PRIORITY" \
  --meta "load=wrk -t$THREADS -c$CONNS -d${DURATION}s --latency, ${WARMUP}s warm-up, $RUNS run(s) per side alternating order" \
  --meta "load_title=wrk -t$THREADS -c$CONNS, ${DURATION}s" \
  --meta "command=$CMDLINE" \
  --meta "runs=$RUNS" \
  --meta "targets=proxy haproxy$( ((BASELINE)) && echo ' direct')" \
  --meta "proxy_label=$PROXY_LABEL" \
  --meta "haproxy_label=HAProxy" \
  --meta "idle_requested=$IDLE_REQUESTED" \
  --meta "nofile=$NOFILE" \
  --meta "notes=$notes_joined" >"$RUN_DIR/report.md"
cp "$RUN_DIR/report.md" "$OUT"
echo
cat "$OUT"
echo
log "report written to ${OUT#"$ROOT"/} (raw data: ${RUN_DIR#"$ROOT"/})"
