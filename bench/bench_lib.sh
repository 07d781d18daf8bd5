# shellcheck shell=bash disable=SC2034
# bench_lib.sh: what compare.sh and instructions.sh share, sourced by both: the shapes (wsload's
# arguments for each), the servers and their commands, --extra, free ports, stopping a server.
# The caller defines die() and the array extra_names; CMD (each server's command), BCMD (its
# broadcast command) and KIND (ws or raw) are the associative arrays filled here.
declare -A CMD BCMD KIND

# define_shapes IDLE_N IDLE_HOLD: WSARGS[s] and RAWARGS[s] (the same pattern over raw TCP, for
# the floors; empty where raw TCP has no such shape) for every shape s in a-h.
declare -A WSARGS RAWARGS
define_shapes() {
  local idle_n=$1 idle_hold=$2
  WSARGS[a]="-c 100 -s 16 -d 10";                 RAWARGS[a]="--raw -c 100 -s 16 -d 10"
  WSARGS[b]="-c 100 -s 16 -d 10 --binary";        RAWARGS[b]="--raw -c 100 -s 16 -d 10"
  WSARGS[c]="-c 10 -s 65536 -d 2 --binary";       RAWARGS[c]="--raw -c 10 -s 65536 -d 2"
  WSARGS[d]="-c 1 -s 16 -d 1";                    RAWARGS[d]="--raw -c 1 -s 16 -d 1"
  WSARGS[e]="-c 1000 -s 128 -d 1";                RAWARGS[e]="--raw -c 1000 -s 128 -d 1"
  WSARGS[f]="--idle $idle_n -t $idle_hold";       RAWARGS[f]="--raw --idle $idle_n -t $idle_hold"
  WSARGS[g]="--big 16777216 --count 6";          RAWARGS[g]="--raw --big 16777216 --count 6"
  WSARGS[h]="--broadcast -c 1000 -s 64 -d 10";    RAWARGS[h]=""
}

# add_extra OPTION NAME=COMMAND: --extra (another echo server: COMMAND PORT listens on
# 127.0.0.1:PORT) or --extra-broadcast (its broadcast mode, for (h)).
add_extra() {
  local option=$1 spec=$2 name cmd
  name=${spec%%=*}
  cmd=${spec#*=}
  [[ $spec == *=* && $name =~ ^[A-Za-z0-9._+-]+$ && -n $cmd ]] ||
    die "$option wants NAME=COMMAND (NAME: letters, digits, . _ + -)"
  if [ "$option" = --extra ]; then
    [ -n "${CMD[$name]:-}" ] && die "server $name given twice"
    CMD[$name]=$cmd
    KIND[$name]=ws
    extra_names+=("$name")
  else
    BCMD[$name]=$cmd
  fi
}

# default_ref: the first --extra server whose name contains "uws" or "uwebsockets" (any case).
default_ref() {
  local n
  for n in "${extra_names[@]}"; do
    if [[ ${n,,} == *uws* || ${n,,} == *uwebsockets* ]]; then echo "$n"; return; fi
  done
}

# define_servers BIN PBIN ROOT: the commands of ws-cpp's bench_server, the floors (in BIN) and
# the peers (in PBIN, bench/peers built), and KIND for each.
define_servers() {
  local bin=$1 pbin=$2 root=$3 n
  CMD[ws-cpp]="$(printf %q "$bin/bench_server")"
  CMD[beast]="$(printf %q "$pbin/beast_echo")"
  CMD[websocketpp]="$(printf %q "$pbin/websocketpp_echo")"
  CMD[libwebsockets]="$(printf %q "$pbin/lws_echo")"
  CMD[node-ws]="$(printf %q "$(command -v node)") $(printf %q "$root/bench/peers/node_ws_echo.js")"
  for n in ws-cpp beast websocketpp libwebsockets node-ws; do
    BCMD[$n]="${CMD[$n]} --broadcast"
    KIND[$n]=ws
  done
  CMD[floor-libuv]="$(printf %q "$bin/floor_libuv_echo")"
  CMD[floor-epoll]="$(printf %q "$bin/floor_epoll_echo")"
  CMD[floor-uring]="$(printf %q "$bin/floor_uring_echo")"
  CMD[floor-batch]="$(printf %q "$bin/floor_batch_echo")"
  for n in floor-libuv floor-epoll floor-uring floor-batch; do KIND[$n]=raw; done
}

alive() {  # PID: running (not a zombie)
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $st != Z* ]]
}

# stop_server: SIGTERM to spid, a bounded wait, then SIGKILL; mpid too when it is another
# process (the one that listens). Clears both.
stop_server() {
  [ -n "$spid" ] || return 0
  kill -TERM "$spid" 2>/dev/null
  for _ in $(seq 200); do alive "$spid" || break; sleep 0.05; done
  alive "$spid" && kill -KILL "$spid" 2>/dev/null
  wait "$spid" 2>/dev/null
  if [ -n "$mpid" ] && [ "$mpid" != "$spid" ] && alive "$mpid"; then kill -KILL "$mpid" 2>/dev/null; fi
  spid=""
  mpid=""
}

# pick_port: the next port from next_port on (20001-29999) that nothing uses, in port.
next_port=20000
pick_port() {
  while :; do
    next_port=$((next_port + 1))
    [ $next_port -gt 29999 ] && next_port=20001
    [ -z "$(ss -Htan "sport = :$next_port" 2>/dev/null)" ] && break
  done
  port=$next_port
}
