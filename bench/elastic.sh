#!/usr/bin/env bash
# Elasticity benchmark: a 4th node added under YCSB workload A; how fast the load evens out, and what the
# clients keep meanwhile.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
workload_dir="${YCSB_WORKLOADS:-$root/../shared/ycsb-workloads}"
[[ -d "$workload_dir" ]] && workload_dir="$(cd "$workload_dir" && pwd)"

usage() {
  cat <<'USAGE'
Usage: bench/elastic.sh [options]

Add a node: starts 3 nodes (bin/junction local, 24 ranges after the prefix "user"), loads YCSB records
(1 KB), runs YCSB workload A with status every second, starts a 4th node (bin/junction node) after
--before seconds, and watches the controller's load statistics until every node serves within ±15% of
the mean (two polls 2 s apart in a row; the requests each node served in the gateways' last 2-s
windows, not the moving averages, whose 10 s half-life would add its lag). Reports:
  converge_s   seconds from the 4th node's start until the load is even (none: not within --watch)
  kept         the clients' throughput from the start until convergence (or the end of the run), over
               their throughput in the 30 s before the start
  kept_moving  the same from the first poll at which the new node held a replica (its JVM's start and
               joining left out: the throughput during the moves)
  after        the clients' throughput once the four nodes settled (the run's last 30 s; with --refill
               the 30 s before the drain), over the same 30 s before the start: with cpus=own what the
               4th node's core adds, with cpus=shared what a 4th JVM on the same cores costs for good,
               apart from the moves (n/a: not converged)
  errors      operations YCSB reports failed during the run
With --refill, once the load is even (or --watch ran out) the 4th node is drained (junctionctl drain,
its JVM stays up and warm), then the drain is cancelled and the controller fills it again. Reports:
  refill_s     seconds from the cancel until the load is even again (none: not within --watch)
  refill_kept  the clients' throughput from the cancel until then, over their throughput in the 30 s
               before the drain (which starts 30 s after the first convergence): the moves' own cost,
               with no cold JVM in the chains (kept adds that); with cpus=own it also counts the
               drained node's core, idle until replicas reach it again
  refill_kept_moving  the same from the first poll at which the node held a replica again
Hot range (after the add-node run, on the same cluster, or alone with --only hot): writes --hot-keys
records of 1 KB under "user55" (all in one of the 24 ranges), then runs 16 clients for --hot-seconds,
half reads and half updates of those records chosen by a scrambled zipfian (dev.junction.bench.elastic.
HotRange), while polling the routing table. Reports:
  split_s        seconds from the start of that load until the records span two or more ranges whose
                 heads are on different nodes (none: not within --hot-seconds)
  p99_before_ms  the clients' p99 from second 2 until the split; p99_after_ms from 5 s after it to the end

  --records N      records loaded (default 30000)
  --threads N      YCSB client threads (default 16)
  --before N       seconds of workload A before the 4th node starts (default 40)
  --watch N        seconds to wait for convergence after it started (default 120); workload A runs
                   --before + --watch + 10 seconds in all
  --hot-keys N     records of the hot range (default 2000: written in a few seconds, before the
                   range could count as hot by the writing alone)
  --hot-seconds N  how long the hot load runs (default 60)
  --warmup Ns      the 3 nodes' warm-up before anything is measured (junction local --warmup: until their
                   JIT compilers are quiet, at most this long; default 180s, as junction local's), so that
                   "before" is the steady throughput the issue compares with
  --only add|hot   run one scenario only (hot alone starts 3 nodes and loads nothing else)
  --refill         after adding the node, drain it and let it fill again (see above); workload A runs
                   --watch + 130 seconds longer
  --pin OLD:NEW    CPU lists (taskset -c) for everything but the 4th node (the 3 nodes, YCSB, the
                   watcher) and for the 4th node. Default: the first CPU this process may use and the
                   second (0:1 on a 2-core machine): a node added to a real cluster brings cores of its
                   own, and the 3 nodes' throughput before it is what one core gives them (the hot
                   range that follows runs on every CPU again)
  --shared-cpus    no pinning: the 4th JVM starts on the cores the 3 nodes and the clients already keep
                   busy, so that its start and compilation come out of their throughput, while the cluster
                   gains no core by it (the layout of every run before 2026-12-07; the default when fewer
                   than 2 CPUs or no taskset are at hand). The two layouts measure different things: the
                   last line says which one ran (cpus=own or cpus=shared; n/a with --only hot)
  --help           this text

Prints last: elastic add-node converge_s=N kept=R kept_moving=R after=R errors=N hot-range split_s=N p99_before_ms=X p99_after_ms=Y cpus=own|shared
(a scenario not run prints n/a); with --refill, refill_s=N refill_kept=R refill_kept_moving=R precede errors=N
Logs stay in bench/target/elastic-PID/ (the nodes' data is removed at the end). With ELASTIC_GATEWAY_LOG=1,
gateway.log gets each node's junction_gateway_* counters (refusals, resends, table refreshes) every 2 s.
With ELASTIC_PROBE=1, probe.log gets every operation of 150 ms or more of a light client beside workload A
(dev.junction.bench.elastic.StallProbe: 25 keys across the key space, a put and a get each every 100 ms;
seconds since workload A's start), to match with the controller's lines in the nodes' logs.
With ELASTIC_JIT_EVENTS=1 every node records its JIT compilations and deoptimizations (JFR, with
bench/jit-events.jfc), and jit-events.txt sums them per node from the 4th node's start to convergence
(dev.junction.bench.elastic.JitEvents: compile time, how much of it recompiled code deoptimized, by level
and package; the deoptimizations by method and reason).
With ELASTIC_JOIN_WARMUP=20s (say), the 4th node warms its JVM up in a private cluster for at most that
long before it joins (JUNCTION_JOIN_WARMUP; off by default, as in bin/junction node); the 4th node logs at
INFO, as junction local's nodes do. ELASTIC_NEW_NODE_JAVA_OPTS adds JVM options to the 4th node only
(after JUNCTION_JAVA_OPTS, which every node gets), e.g. -XX:-TieredCompilation.
USAGE
}

die() { echo "elastic.sh: $*" >&2; exit 1; }
number() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "elastic.sh: $1 needs a positive number, not '$2'" >&2; exit 2; }; }
records=30000; threads=16; before=40; watch=120; hot_keys=2000; hot_seconds=60; only=""; warmup=180s; refill=0
pin_old=""; pin_new=""; shared_cpus=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --records) number "$1" "${2:-}"; records="$2"; shift 2 ;;
    --threads) number "$1" "${2:-}"; threads="$2"; shift 2 ;;
    --before) number "$1" "${2:-}"; before="$2"; shift 2 ;;
    --watch) number "$1" "${2:-}"; watch="$2"; shift 2 ;;
    --hot-keys) number "$1" "${2:-}"; hot_keys="$2"; shift 2 ;;
    --hot-seconds) number "$1" "${2:-}"; hot_seconds="$2"; shift 2 ;;
    --warmup) [[ "${2:-}" =~ ^[0-9]+s$ ]] || { echo "elastic.sh: --warmup needs seconds like 180s, not '${2:-}'" >&2; exit 2; }
      warmup="$2"; shift 2 ;;
    --only) only="${2:-}"; shift 2
      [[ "$only" == add || "$only" == hot ]] || { echo "elastic.sh: --only is add or hot" >&2; exit 2; } ;;
    --refill) refill=1; shift ;;
    --shared-cpus) shared_cpus=1; shift ;;
    --pin) [[ "${2:-}" =~ ^([0-9,-]+):([0-9,-]+)$ ]] || { echo "elastic.sh: --pin needs two CPU lists like 0:1, not '${2:-}'" >&2; exit 2; }
      pin_old="${BASH_REMATCH[1]}"; pin_new="${BASH_REMATCH[2]}"; shift 2 ;;
    --help|-h) usage; exit 0 ;;
    *) echo "elastic.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
(( before >= 30 )) || die "--before must be at least 30: kept compares with the 30 s before the new node"
[[ -f "$workload_dir/workloada" ]] || die "no workload file $workload_dir/workloada"
# The CPU layout (see --pin): the CPUs this shell may use, as taskset lists them (e.g. 0-1), read once.
all_cpus=""; command -v taskset > /dev/null && all_cpus="$(taskset -pc $$ | sed 's/.*: *//')"
if [[ -n "$pin_old" && "$shared_cpus" == 1 ]]; then die "--pin and --shared-cpus exclude each other"; fi
if [[ "$only" == hot ]]; then # no 4th node: the hot range alone uses every CPU
  pin_old=""; pin_new=""
elif [[ -z "$pin_old" && "$shared_cpus" == 0 ]]; then # the default: the first CPU and the second
  cpus=()
  IFS=, read -ra parts <<< "$all_cpus"
  for part in "${parts[@]}"; do
    if [[ "$part" == *-* ]]; then mapfile -t -O "${#cpus[@]}" cpus < <(seq "${part%-*}" "${part#*-}"); else cpus+=("$part"); fi
  done
  if (( ${#cpus[@]} >= 2 )); then pin_old="${cpus[0]}"; pin_new="${cpus[1]}"
  else echo "elastic.sh: fewer than 2 CPUs to pin to (or no taskset): the 4th node shares the cores" >&2; fi
fi
if [[ -n "$pin_old" ]]; then
  [[ -n "$all_cpus" ]] || die "--pin needs taskset (util-linux)"
  for list in "$pin_old" "$pin_new"; do
    taskset -c "$list" true 2> /dev/null || die "--pin: this process may not run on CPUs $list (it may on $all_cpus)"
  done
fi

echo "elastic.sh: building..." >&2
(cd "$root" && mvn -B -q -pl bench,node -am package -DskipTests) >&2 || die "the build failed"
cp="$root/bench/target/classes:$(cat "$root/bench/target/classpath.txt")"
work="$root/bench/target/elastic-$$"
mkdir -p "$work"
if [[ -n "$pin_old" ]]; then # after the build, which may use every core: this shell and all it starts
  taskset -pc "$pin_old" $$ > /dev/null
  echo "elastic.sh: the 3 nodes and the clients on CPUs $pin_old, the 4th node on CPUs $pin_new" >&2
fi

# Everything this script starts, by PID.
cluster_pid=""; node_pids=""; extra_pid=""; ycsb_pid=""; watch_pid=""; scrape_pid=""; probe_pid=""
stop_pid() {   # stop_pid PID SECONDS: SIGTERM, then SIGKILL after SECONDS
  local pid="$1"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 "$2"); do kill -0 "$pid" 2>/dev/null || return 0; sleep 1; done
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  stop_pid "$scrape_pid" 5
  stop_pid "$probe_pid" 5
  stop_pid "$watch_pid" 5
  stop_pid "$ycsb_pid" 10
  # Every node at once: a node stopped alone would first drain (move its replicas away), which only
  # makes sense for a node leaving a cluster that goes on.
  [[ -n "$extra_pid" ]] && kill -TERM "$extra_pid" 2>/dev/null || true
  stop_pid "$cluster_pid" 90
  stop_pid "$extra_pid" 90
  for pid in $node_pids; do stop_pid "$pid" 30; done
  for log in "$work"/data/node-*/node.log; do   # the nodes' logs stay, the data goes
    [[ -f "$log" ]] && cp "$log" "$work/$(basename "$(dirname "$log")").log"
  done
  rm -rf "$work/data"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ "${ELASTIC_JIT_EVENTS:-0}" == 1 ]]; then # every node records its compilations and deoptimizations
  mkdir -p "$work/jfr"
  export JUNCTION_JAVA_OPTS="${JUNCTION_JAVA_OPTS:-} -XX:StartFlightRecording=settings=$root/bench/jit-events.jfc,filename=$work/jfr/,dumponexit=true"
fi

# shellcheck source=ports.sh
source "$root/bench/ports.sh"
base="$(free_base)"
for p in 3 13 23; do port_free $((base + p)) || die "port $((base + p)) is taken; run again"; done
echo "elastic.sh: starting 3 nodes (gRPC from $base, cluster from $((base + 10)))" >&2
"$root/bin/junction" local --nodes 3 --data "$work/data" --port "$base" --cluster-port $((base + 10)) --management-port $((base + 20)) \
  --ranges 24 --split-prefix user --split-alphabet 0123456789 --warmup "$warmup" > "$work/local.out" 2> "$work/local.err" &
cluster_pid=$!
endpoints=""
for _ in $(seq 1 400); do
  node_pids="$(sed -n 's/^junction local: node [0-9]* pid \([0-9]*\) .*/\1/p' "$work/local.err" 2>/dev/null | tr '\n' ' ')"
  if grep -qs '^ready: ' "$work/local.out"; then endpoints="$(sed -n 's/^ready: //p' "$work/local.out")"; break; fi
  kill -0 "$cluster_pid" 2>/dev/null || break
  sleep 1
done
[[ -n "$endpoints" ]] || { tail -20 "$work/local.err" >&2; die "the cluster did not get ready; see $work"; }

scrape_metrics() {   # scrape_metrics ROUNDS: the nodes' gateway counters, write-path timings, JIT time and CPU, every 2 s
  local ts
  for _ in $(seq 1 "$1"); do
    ts="$(date +%s.%N)"
    for n in 0 1 2 3; do
      curl -s --max-time 1 "http://127.0.0.1:$((base + 20 + n))/metrics" | grep -E '^(junction_(gateway_[a-z_]+_total|requests_seconds_(count|sum)|store_sync_seconds_(count|sum)|write_(persisted|committed)_seconds_(count|sum))|jvm_compilation_time_ms_total|process_cpu_usage)' \
        | sed "s/^/$ts node-$n /" || true
    done
    sleep 2
  done
}

converge_s=n/a; kept=n/a; errors=n/a; moving_s=n/a; kept_moving=n/a; after=n/a; refill_s=n/a; refill_kept=n/a; refill_kept_moving=n/a
if [[ "$only" != hot ]]; then
  ycsb_common=(-db dev.junction.bench.ycsb.JunctionDB -P "$workload_dir/workloada" -p recordcount="$records"
    -p junction.endpoints="$endpoints" -p junction.deadline=5000 -threads "$threads")
  echo "elastic.sh: loading $records records" >&2
  java -Xms256m -Xmx1g -cp "$cp" site.ycsb.Client -load "${ycsb_common[@]}" > "$work/load.log" 2>&1 \
    || { tail -20 "$work/load.log" >&2; die "loading failed, see $work/load.log"; }

  run_s=$(( before + watch + 10 ))
  (( refill == 0 )) || run_s=$(( run_s + watch + 130 ))
  echo "elastic.sh: workload A for at most $run_s s; the 4th node starts after $before s" >&2
  java -Xms256m -Xmx1g -cp "$cp" site.ycsb.Client -t "${ycsb_common[@]}" -s -p status.interval=1 \
    -p operationcount=1000000000 -p maxexecutiontime="$run_s" > "$work/run.log" 2> "$work/run.status" &
  ycsb_pid=$!
  ycsb_start=$(date +%s.%N)
  if [[ "${ELASTIC_PROBE:-0}" == 1 ]]; then # off by default: the probe's load is beside the measured one
    java -cp "$cp" dev.junction.bench.elastic.StallProbe "$endpoints" "$run_s" 150 > "$work/probe.log" 2>&1 &
    probe_pid=$!
  fi
  # The watcher starts now, so that its JVM's start is not part of what it measures; it counts from the
  # moment the 4th node is due.
  due_ms="$(awk -v a="$ycsb_start" -v b="$before" 'BEGIN { printf "%.0f", (a + b) * 1000 }')"
  java -cp "$cp" dev.junction.bench.elastic.ElasticWatch watch "$endpoints" 4 "$watch" "$due_ms" \
    > "$work/watch.out" 2> "$work/watch.log" &
  watch_pid=$!
  # With ELASTIC_GATEWAY_LOG=1: what each node's gateway spends beyond one attempt per request (refusals
  # by reason, resends on a new configuration, table refreshes), the sums and counts of its request and
  # write-path timings (differences between two scrapes give each 2-s window's mean), its JIT time and
  # CPU, every 2 s, into gateway.log. Off by default: the scrapes cost the nodes CPU that the measured
  # clients then miss.
  if [[ "${ELASTIC_GATEWAY_LOG:-0}" == 1 ]]; then
    scrape_metrics "$(( (run_s + 1) / 2 ))" > "$work/gateway.log" 2>/dev/null &
    scrape_pid=$!
  fi
  sleep "$(awk -v d="$due_ms" -v n="$(date +%s%3N)" 'BEGIN { s = (d - n) / 1000; printf "%.3f", (s > 0 ? s : 0) }')"
  kill -0 "$ycsb_pid" 2>/dev/null || die "YCSB stopped early; see $work/run.status"

  extra_start=$(date +%s.%N)
  mkdir -p "$work/data/node-3"
  JUNCTION_HOST=127.0.0.1 JUNCTION_GRPC_PORT=$((base + 3)) JUNCTION_CLUSTER_PORT=$((base + 13)) JUNCTION_MANAGEMENT_PORT=$((base + 23)) \
    JUNCTION_DATA_DIR="$work/data/node-3" JUNCTION_SEED_NODES="127.0.0.1:$((base + 10))" JUNCTION_MIN_NODES=3 \
    JUNCTION_JOIN_WARMUP="${ELASTIC_JOIN_WARMUP:-0s}" JUNCTION_LOG_LEVEL=INFO \
    JUNCTION_JAVA_OPTS="${JUNCTION_JAVA_OPTS:-} ${ELASTIC_NEW_NODE_JAVA_OPTS:-}" ${pin_new:+taskset -c "$pin_new"} \
    "$root/bin/junction" node > "$work/data/node-3/node.log" 2>&1 &
  extra_pid=$!
  echo "elastic.sh: 4th node pid $extra_pid gRPC 127.0.0.1:$((base + 3)); watching the load" >&2
  wait "$watch_pid" || die "the watcher failed; see $work/watch.log"
  watch_pid=""
  converged="$(tail -1 "$work/watch.out")"
  tail -3 "$work/watch.log" >&2
  converge_s="$(sed -n 's/.*converged_s=\([^ ]*\).*/\1/p' <<< "$converged")"
  if [[ "${ELASTIC_JIT_EVENTS:-0}" == 1 ]]; then
    # What each node's JIT did from the 4th node's start until convergence (or the end of the watch).
    jcmd="$(dirname "$(readlink -f "$(command -v java)")")/jcmd"
    n=0
    for pid in $node_pids $extra_pid; do
      "$jcmd" "$pid" JFR.dump filename="$work/jfr/node-$n.jfr" > /dev/null 2>&1 || echo "elastic.sh: no JFR dump of pid $pid" >&2
      n=$(( n + 1 ))
    done
    window_s="$converge_s"; [[ "$window_s" =~ ^[0-9]+$ ]] || window_s="$watch"
    from_ms="$(awk -v s="$extra_start" 'BEGIN { printf "%.0f", s * 1000 }')"
    java -cp "$cp" dev.junction.bench.elastic.JitEvents "$from_ms" "$(( from_ms + window_s * 1000 ))" "$work"/jfr/node-*.jfr \
      > "$work/jit-events.txt" 2>&1 || true
    echo "elastic.sh: JIT events from the 4th node's start over ${window_s} s (node-3 is the new one):" >&2
    cat "$work/jit-events.txt" >&2
  fi
  moving_s="$(sed -n 's/.*moving_s=\([^ ]*\).*/\1/p' <<< "$converged")"
  offset="$(awk -v a="$ycsb_start" -v b="$extra_start" 'BEGIN { printf "%.0f", b - a }')"
  if [[ "$converge_s" == none ]]; then to=$(( offset + watch )); else to=$(( offset + converge_s )); fi
  (( to > offset )) || to=$(( offset + 1 ))
  if (( refill == 1 )); then
    node4="127.0.0.1:$((base + 3))"
    ctl() { "$root/bin/junctionctl" --endpoint "${endpoints%%,*}" "$@"; }
    sleep 30 # a steady "before" for refill_kept: the 30 s before the drain
    drain_at="$(awk -v a="$ycsb_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')"
    echo "elastic.sh: refill: draining the 4th node ($node4) at $drain_at s" >&2
    ctl drain --max-wait 90s "$node4" >&2 || echo "elastic.sh: refill: the drain did not end within 90 s" >&2
    sleep 10
    cancel_ms="$(date +%s%3N)"
    ctl drain --cancel "$node4" >&2 || die "refill: the drain could not be cancelled"
    cancel_at="$(awk -v a="$ycsb_start" -v b="$cancel_ms" 'BEGIN { printf "%.0f", b / 1000 - a }')"
    echo "elastic.sh: refill: drain cancelled at $cancel_at s; watching the load" >&2
    java -cp "$cp" dev.junction.bench.elastic.ElasticWatch watch "$endpoints" 4 "$watch" "$cancel_ms" \
      > "$work/refill.out" 2> "$work/refill.log" || die "the refill watcher failed; see $work/refill.log"
    refill_s="$(sed -n 's/.*converged_s=\([^ ]*\).*/\1/p' "$work/refill.out" | tail -1)"
    if [[ "$refill_s" == none ]]; then refill_to=$(( cancel_at + watch )); else refill_to=$(( cancel_at + refill_s )); fi
    refill_line="$(java -cp "$cp" dev.junction.bench.elastic.ElasticWatch kept "$work/run.status" "$drain_at" "$refill_to" "$cancel_at")"
    refill_kept="$(sed -n 's/^kept=\([0-9.]*\).*/\1/p' <<< "$refill_line")"
    refill_moving_s="$(sed -n 's/.*moving_s=\([^ ]*\).*/\1/p' "$work/refill.out" | tail -1)"
    if [[ "$refill_moving_s" =~ ^[0-9]+$ ]] && (( cancel_at + refill_moving_s < refill_to )); then
      refill_kept_moving="$(java -cp "$cp" dev.junction.bench.elastic.ElasticWatch kept "$work/run.status" "$drain_at" "$refill_to" \
        "$(( cancel_at + refill_moving_s ))" | sed -n 's/^kept=\([0-9.]*\).*/\1/p')"
    fi
    echo "elastic.sh: refill: $refill_line (ops/s over the 30 s before the drain, and from the cancel until even)" >&2
  fi
  echo "elastic.sh: waiting for workload A to end (at $run_s s)" >&2
  wait "$ycsb_pid" || die "YCSB failed; see $work/run.log and $work/run.status"
  ycsb_pid=""
  kept_line="$(java -cp "$cp" dev.junction.bench.elastic.ElasticWatch kept "$work/run.status" "$offset" "$to")"
  kept="$(sed -n 's/^kept=\([0-9.]*\).*/\1/p' <<< "$kept_line")"
  if [[ "$moving_s" != none && -n "$moving_s" ]] && (( offset + moving_s < to )); then
    # During the moves alone: from the new node's first replica, against the same 30 s before it started.
    moving_line="$(java -cp "$cp" dev.junction.bench.elastic.ElasticWatch kept "$work/run.status" "$offset" "$to" \
      "$(( offset + moving_s ))")"
    kept_moving="$(sed -n 's/^kept=\([0-9.]*\).*/\1/p' <<< "$moving_line")"
    echo "elastic.sh: during the moves (from ${moving_s} s after its start): $moving_line" >&2
  fi
  errors="$(awk -F', ' '/^\[[A-Z-]*-FAILED\], Operations,/ { n += $3 } END { print n + 0 }' "$work/run.log")"
  echo "elastic.sh: $kept_line (ops/s over the 30 s before the 4th node, and from its start to convergence)" >&2
  # The four nodes once settled, against the same "before": what the add costs for good, apart from the
  # moves. The 30 s before the drain with --refill, else the run's last 30 s (its last second is partial).
  if (( refill == 1 )); then after_to="$drain_at"; else after_to=$(( run_s - 1 )); fi
  if [[ "$converge_s" != none ]] && (( after_to - 30 >= to )); then
    after_line="$(java -cp "$cp" dev.junction.bench.elastic.ElasticWatch kept "$work/run.status" "$offset" "$after_to" \
      "$(( after_to - 30 ))")"
    after="$(sed -n 's/^kept=\([0-9.]*\).*/\1/p' <<< "$after_line")"
    echo "elastic.sh: settled (the 30 s to ${after_to} s): $after_line" >&2
  fi
fi

split_s=n/a; p99_before=n/a; p99_after=n/a
if [[ "$only" != add ]]; then
  if [[ -n "$pin_old" ]]; then # the pinning is the add's: the hot range runs on every CPU, as it always did
    for pid in $cluster_pid $node_pids $extra_pid; do taskset -apc "$all_cpus" "$pid" > /dev/null || true; done
    taskset -pc "$all_cpus" $$ > /dev/null
    echo "elastic.sh: the nodes and the clients on CPUs $all_cpus again for the hot range" >&2
  fi
  hot_endpoints="$endpoints"
  [[ -n "$extra_pid" ]] && hot_endpoints="$endpoints,127.0.0.1:$((base + 3))"
  echo "elastic.sh: hot range: $hot_keys records under user55, 16 clients for $hot_seconds s" >&2
  hot_line="$(java -Xms256m -Xmx1g -cp "$cp" dev.junction.bench.elastic.HotRange "$hot_endpoints" user55 \
    "$hot_keys" "$hot_seconds" 16 2> "$work/hot.log" | tail -1)" || die "the hot-range run failed; see $work/hot.log"
  grep -E 'split|written' "$work/hot.log" >&2 || true
  echo "elastic.sh: hot range: $hot_line" >&2
  split_s="$(sed -n 's/.*split_s=\([^ ]*\).*/\1/p' <<< "$hot_line")"
  p99_before="$(sed -n 's/.*p99_before_ms=\([^ ]*\).*/\1/p' <<< "$hot_line")"
  p99_after="$(sed -n 's/.*p99_after_ms=\([^ ]*\).*/\1/p' <<< "$hot_line")"
fi
echo "elastic.sh: logs in $work" >&2
refill_fields=""
(( refill == 0 )) || refill_fields=" refill_s=$refill_s refill_kept=$refill_kept refill_kept_moving=$refill_kept_moving"
cpus_field=shared; [[ -n "$pin_old" ]] && cpus_field=own; [[ "$only" == hot ]] && cpus_field=n/a
echo "elastic add-node converge_s=$converge_s kept=$kept kept_moving=$kept_moving after=$after$refill_fields errors=$errors hot-range split_s=$split_s p99_before_ms=$p99_before p99_after_ms=$p99_after cpus=$cpus_field"
