#!/usr/bin/env bash
# YCSB workloads (1 KB records) against Junction, on a running cluster or on one this script starts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
workload_dir="${YCSB_WORKLOADS:-$root/../shared/ycsb-workloads}"
[[ -d "$workload_dir" ]] && workload_dir="$(cd "$workload_dir" && pwd)"

usage() {
  cat <<'USAGE'
Usage: bench/ycsb.sh [options]

Runs YCSB workloads against Junction through the Java client (binding dev.junction.bench.ycsb.JunctionDB)
and prints, per workload, the throughput and the p50/p99 latency of each operation. Records are YCSB's
defaults: 10 fields of 100 bytes (1 KB). Workload files: ../shared/ycsb-workloads/workload[a-f]
(or the folder in $YCSB_WORKLOADS); only recordcount, operationcount and the thread count are overridden.

  --endpoints H:P,...   use a running cluster instead of starting one (it is not loaded unless --load)
  --load                load the records first (always done on a cluster this script starts)
  --workloads a,b,c     workloads to run, from a..f (default: a,b,c); --compare-routing runs the first (default a)
  --records N           records loaded (default 10000)
  --operations N        operations per workload run (default 20000)
  --threads N           YCSB client threads (default 8)
  --durability MODE     fsync (default, the product's default) or replicated, for a cluster started here
  --quick               small and short: 2000 records, 4000 operations (unless given)
  --compare-routing     measure one workload with switch routing and with server-driven routing on the
                        same data: the cluster is restarted on the same data in each mode, alternating,
                        --rounds times per mode; prints last: switch-vs-server-driven throughput=R p99=R
                        (the client calls over gRPC in both modes: a client without a table has no native
                        endpoints, so this compares the routing alone)
  --rounds N            measured runs per routing mode with --compare-routing (default 2)
  --profile             CPU-profile every run with async-profiler (itimer, 1 ms): the YCSB client and, on a
                        cluster this script starts, every node, each run on its own; collapsed stacks go to
                        the run folder and a summary per run (subsystems, hottest frames) is printed
  --profile-event E     with --profile: async-profiler's event instead of itimer, e.g. alloc (where the heap
                        is allocated: the samples are bytes) or lock
  --help                this text

Without --endpoints, a 3-node cluster is started with bin/junction local on free ports, data under
bench/target/ycsb-PID/, its first routing table cut into 9 ranges after the prefix "user" (one per
leading digit of YCSB's keys); it is stopped when the script ends, also on Ctrl-C. Logs of every YCSB run
stay in bench/target/ycsb-PID/. YCSB_JAVA_OPTS adds JVM options to the YCSB client's JVM (e.g.
-Xlog:jit+compilation=debug:file=/tmp/client-jit.log; output on stdout would break the run's log);
JUNCTION_JAVA_OPTS those of the nodes. YCSB_ARGS adds arguments to every YCSB run, e.g. "-p
junction.native=false" (the client's blocking calls over gRPC instead of the nodes' native endpoints) or
"-p status.interval=1" (YCSB's throughput and latency every second, on the run's log).
USAGE
}

die() { echo "ycsb.sh: $*" >&2; exit 1; }
number() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "ycsb.sh: $1 needs a positive number, not '$2'" >&2; exit 2; }; }
endpoints=""; load=0; workloads=""; records=""; operations=""; threads=8; compare=0; rounds=2; quick=0
durability=fsync; profile=0; profile_event=itimer; client_routing=true; client_native=true
while [[ $# -gt 0 ]]; do
  case "$1" in
    --endpoints) endpoints="${2:?--endpoints needs HOST:PORT,...}"; shift 2 ;;
    --load) load=1; shift ;;
    --workloads) workloads="${2:?--workloads needs a list such as a,b,c}"; shift 2 ;;
    --records) number "$1" "${2:-}"; records="$2"; shift 2 ;;
    --operations) number "$1" "${2:-}"; operations="$2"; shift 2 ;;
    --threads) number "$1" "${2:-}"; threads="$2"; shift 2 ;;
    --rounds) number "$1" "${2:-}"; rounds="$2"; shift 2 ;;
    --durability) durability="${2:-}"; shift 2
      [[ "$durability" == fsync || "$durability" == replicated ]] || { echo "ycsb.sh: --durability is fsync or replicated" >&2; exit 2; } ;;
    --quick) quick=1; shift ;;
    --compare-routing) compare=1; shift ;;
    --profile) profile=1; shift ;;
    --profile-event) profile_event="${2:?--profile-event needs an event such as alloc}"; shift 2
      [[ "$profile_event" =~ ^[a-z][a-zA-Z0-9_.:-]*$ ]] || { echo "ycsb.sh: --profile-event $profile_event is not an event name" >&2; exit 2; } ;;
    --help|-h) usage; exit 0 ;;
    *) echo "ycsb.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [[ "$quick" == 1 ]]; then records="${records:-2000}"; operations="${operations:-4000}"; fi
records="${records:-10000}"; operations="${operations:-20000}"
if [[ -z "$workloads" ]]; then
  workloads="a,b,c"; [[ "$compare" == 1 ]] && workloads="a"
fi
IFS=',' read -r -a workload_list <<< "$workloads"
for w in "${workload_list[@]}"; do
  [[ "$w" =~ ^[a-f]$ ]] || { echo "ycsb.sh: workload '$w' is not one of a..f" >&2; exit 2; }
  [[ -f "$workload_dir/workload$w" ]] || die "no workload file $workload_dir/workload$w"
done
if [[ "$compare" == 1 && -n "$endpoints" ]]; then
  die "--compare-routing starts its own cluster (it restarts it in each routing mode); leave out --endpoints"
fi

echo "ycsb.sh: building bench..." >&2
profile_flag=""; [[ "$profile" == 1 ]] && profile_flag="-Pprofiler"
(cd "$root" && mvn -B -q -pl bench -am package -DskipTests $profile_flag) >&2 || die "the build failed"
cp="$root/bench/target/classes:$(cat "$root/bench/target/classpath.txt")"
work="$root/bench/target/ycsb-$$"
mkdir -p "$work"
agent="$root/bench/target/async-profiler/linux-x64/libasyncProfiler.so"
if [[ "$profile" == 1 ]]; then
  [[ -f "$agent" ]] || die "no $agent after the build (mvn -Pprofiler unpacks it)"
  command -v jcmd >/dev/null || die "--profile needs jcmd (the JDK's) on the PATH"
fi
# The sampling interval: 1 ms of CPU for itimer/cpu/wall, the profiler's own default for the others.
interval() { case "$profile_event" in itimer|cpu|wall) echo ",interval=1ms" ;; esac; }
# profile_nodes start|stop LABEL: starts or stops (dumping LABEL-node-PID.collapsed) the profiler in every node.
profile_nodes() {
  [[ "$profile" == 1 ]] || return 0
  local pid what
  for pid in $node_pids; do
    if [[ "$1" == start ]]; then what="start,event=$profile_event$(interval)"
    else what="stop,file=$work/$2-node-$pid.collapsed,collapsed"; fi
    jcmd "$pid" "JVMTI.agent_load $agent \"$what\"" >/dev/null 2>&1 || echo "ycsb.sh: cannot $1 the profiler in node $pid" >&2
  done
}
profile_summary() {   # profile_summary LABEL
  [[ "$profile" == 1 ]] || return 0
  local nodes; nodes="$(ls "$work/$1"-node-*.collapsed 2>/dev/null | tr '\n' ',')"
  java -cp "$cp" dev.junction.bench.ProfileSummary "$1 client=$work/$1-client.collapsed" "$1 nodes=${nodes%,}"
}

# Everything this script starts, by PID: the junction local launcher, its node processes, a YCSB client.
cluster_pid=""; node_pids=""; ycsb_pid=""; starts=0
stop_cluster() {
  if [[ -n "$cluster_pid" ]] && kill -0 "$cluster_pid" 2>/dev/null; then
    kill -TERM "$cluster_pid" 2>/dev/null || true   # the launcher stops its nodes (SIGTERM, then waits)
    for _ in $(seq 1 90); do kill -0 "$cluster_pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$cluster_pid" 2>/dev/null && kill -KILL "$cluster_pid" 2>/dev/null
  fi
  for pid in $node_pids; do   # nodes the launcher could not stop (it was killed)
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    fi
  done
  cluster_pid=""; node_pids=""
}
cleanup() {
  if [[ -n "$ycsb_pid" ]] && kill -0 "$ycsb_pid" 2>/dev/null; then kill -TERM "$ycsb_pid" 2>/dev/null || true; fi
  stop_cluster
  if [[ "$starts" -gt 0 ]]; then rm -rf "$work/data"; fi   # the cluster data this script created
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck source=ports.sh
source "$root/bench/ports.sh"

# start_cluster ROUTING DATA: starts bin/junction local and sets $endpoints from its ready: line.
start_cluster() {
  local routing="$1" data="$2" base
  starts=$((starts + 1))
  local out="$work/local-$starts-$routing.out" err="$work/local-$starts-$routing.err"
  base="$(free_base)"
  echo "ycsb.sh: starting 3 nodes, routing $routing, durability $durability, data $data" >&2
  "$root/bin/junction" local --nodes 3 --data "$data" --port "$base" --cluster-port $((base + 10)) --management-port $((base + 20)) \
    --routing "$routing" --durability "$durability" \
    --ranges 9 --split-prefix user --split-alphabet 123456789 > "$out" 2> "$err" &
  cluster_pid=$!
  for _ in $(seq 1 300); do   # at most 5 minutes, a first build of node/ included
    node_pids="$(sed -n 's/^junction local: node [0-9]* pid \([0-9]*\) .*/\1/p' "$err" 2>/dev/null | tr '\n' ' ')"
    if grep -qs '^ready: ' "$out"; then
      endpoints="$(sed -n 's/^ready: //p' "$out")"
      return
    fi
    kill -0 "$cluster_pid" 2>/dev/null || break
    sleep 1
  done
  tail -20 "$err" >&2 || true
  die "the cluster did not get ready; see $err and $data/node-*/node.log"
}

# ycsb PHASE WORKLOAD LOG [OPERATIONS]: one YCSB run (-load or -t), its output in LOG.
ycsb() {
  local label; label="$(basename "$3" .log)" agent_opt=""
  [[ "$profile" == 1 ]] && agent_opt="-agentpath:$agent=start,event=$profile_event$(interval),file=$work/$label-client.collapsed,collapsed"
  profile_nodes start "$label"
  # shellcheck disable=SC2086
  java -Xms256m -Xmx1g $agent_opt ${YCSB_JAVA_OPTS:-} -cp "$cp" site.ycsb.Client "$1" -db dev.junction.bench.ycsb.JunctionDB \
    -P "$workload_dir/workload$2" -p recordcount="$records" -p operationcount="${4:-$operations}" \
    -p junction.endpoints="$endpoints" -p junction.deadline=5000 -p maxexecutiontime=900 \
    -p junction.routing="$client_routing" -p junction.native="$client_native" \
    -p measurementtype=hdrhistogram -p hdrhistogram.percentiles=50,99 -p measurement.histogram.verbose=true \
    ${YCSB_ARGS:-} -threads "$threads" > "$3" 2>&1 &
  ycsb_pid=$!
  local rc=0
  wait "$ycsb_pid" || rc=$?
  ycsb_pid=""
  profile_nodes stop "$label"
  [[ "$rc" == 0 ]] && grep -q '^\[OVERALL\], Throughput' "$3" || { tail -20 "$3" >&2; die "YCSB failed (exit $rc), see $3"; }
}
summarize() {   # summarize LABEL LOG: one line; warns when operations failed
  local line
  line="$(java -cp "$cp" dev.junction.bench.ycsb.YcsbSummary summary "$2")" || die "cannot read $2"
  echo "$1: $line"
  if [[ "$line" == *errors=* ]]; then echo "ycsb.sh: some operations failed; JunctionDB printed the first ones in $2" >&2; fi
  profile_summary "$(basename "$2" .log)"
}

echo "ycsb.sh: $records records, $operations operations per run, $threads threads, workload files in $workload_dir" >&2
if [[ "$compare" == 1 ]]; then
  w="${workload_list[0]}"
  client_native=false   # both modes over gRPC: the comparison is of the routing alone
  data="$work/data"
  start_cluster switch "$data"
  ycsb -load "$w" "$work/load.log"
  summarize load "$work/load.log"
  sw_logs=""; sd_logs=""
  for round in $(seq 1 "$rounds"); do
    modes="switch server-driven"; (( round % 2 == 0 )) && modes="server-driven switch"
    for mode in $modes; do
      # Every measured run is on a cluster freshly started in its mode on the same data, after an
      # unmeasured warm-up of a quarter of the operations, so that neither mode runs on warmer JVMs.
      stop_cluster
      start_cluster "$mode" "$data"
      # Server-driven: the client holds no table and calls any node, which hands the request to a random
      # node's router. Switch: the client routes by its table, one hop.
      if [[ "$mode" == switch ]]; then client_routing=true; else client_routing=false; fi
      ycsb -t "$w" "$work/warmup-$mode-$round.log" $(( operations / 4 > 0 ? operations / 4 : 1 ))
      log="$work/$w-$mode-$round.log"
      ycsb -t "$w" "$log"
      summarize "round $round $mode workload $w" "$log"
      if [[ "$mode" == switch ]]; then sw_logs="$sw_logs,$log"; else sd_logs="$sd_logs,$log"; fi
    done
  done
  stop_cluster
  echo "ycsb.sh: logs in $work" >&2
  java -cp "$cp" dev.junction.bench.ycsb.YcsbSummary compare switch "${sw_logs#,}" server-driven "${sd_logs#,}" \
    || die "cannot compare the runs"
  exit 0
fi

if [[ -z "$endpoints" ]]; then
  start_cluster switch "$work/data"
  load=1
fi
if [[ "$load" == 1 ]]; then
  ycsb -load "${workload_list[0]}" "$work/load.log"
  summarize load "$work/load.log"
fi
for w in "${workload_list[@]}"; do
  log="$work/workload$w.log"
  ycsb -t "$w" "$log"
  summarize "workload $w" "$log"
done
echo "ycsb.sh: logs in $work" >&2
