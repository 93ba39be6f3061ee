#!/usr/bin/env bash
# YCSB workload C against Junction and against no-op servers that have the node's own gRPC set-up and are
# called by the same client: how close Junction's read path comes to the framework's ceiling.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
workload_dir="${YCSB_WORKLOADS:-$root/../shared/ycsb-workloads}"
[[ -d "$workload_dir" ]] && workload_dir="$(cd "$workload_dir" && pwd)"

usage() {
  cat <<'USAGE'
Usage: bench/ceiling.sh [options]

Runs YCSB workload C (100% reads, 1 KB records) through the Junction YCSB binding, alternately against
  - three `junction noop-kv` processes on 127.0.0.1: the node's gRPC server set-up (GrpcServer) and its
    native endpoint (NativeServer, on the same threads), every Get answered with the same 1 KB record
    from memory; their routing table names all three, so the client spreads reads over them as over a
    range's replicas;
  - a 3-node `junction local` cluster loaded with --records records (9 ranges after "user"),
and prints the throughput of each run and, last, `junction-vs-noop-grpc read=R`: Junction's reads/s over
the no-op servers' (sums over the rounds). Every process is started fresh for each run and stopped, by
PID, when the run ends (also on Ctrl-C).

  --records N      records loaded into Junction (default 20000)
  --operations N   operations per run (default 1000000; each run is also bounded by --seconds)
  --seconds S      longest a run may take (default 60)
  --threads N      YCSB client threads (default 16)
  --rounds N       runs per side, alternating (default 2)
  --quick          5000 records, 20 s runs, one round
  --grpc           the client calls over gRPC on both sides (default: the native endpoints on both, as
                   the Java client does by default)
  --help           this text
USAGE
}

die() { echo "ceiling.sh: $*" >&2; exit 1; }
number() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "ceiling.sh: $1 needs a positive number, not '$2'" >&2; exit 2; }; }
records=20000; operations=1000000; seconds=60; threads=16; rounds=2; client_native=true
while [[ $# -gt 0 ]]; do
  case "$1" in
    --records) number "$1" "${2:-}"; records="$2"; shift 2 ;;
    --operations) number "$1" "${2:-}"; operations="$2"; shift 2 ;;
    --seconds) number "$1" "${2:-}"; seconds="$2"; shift 2 ;;
    --threads) number "$1" "${2:-}"; threads="$2"; shift 2 ;;
    --rounds) number "$1" "${2:-}"; rounds="$2"; shift 2 ;;
    --quick) records=5000; seconds=20; rounds=1; shift ;;
    --grpc) client_native=false; shift ;;
    --help|-h) usage; exit 0 ;;
    *) echo "ceiling.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -f "$workload_dir/workloadc" ]] || die "no workload file $workload_dir/workloadc"

echo "ceiling.sh: building bench and node..." >&2
(cd "$root" && mvn -B -q -pl bench,node -am package -DskipTests) >&2 || die "the build failed"
touch "$root/node/target/classpath.txt" # bin/junction: the build is fresh
cp="$root/bench/target/classes:$(cat "$root/bench/target/classpath.txt")"
work="$root/bench/target/ceiling-$$"
mkdir -p "$work"

pids=""; ycsb_pid=""
stop_all() {
  local pid
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $pids; do
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  done
  # junction local's node processes, should the launcher have been killed before it stopped them
  for f in "$work"/local-*.err; do
    [[ -f "$f" ]] || continue
    for pid in $(sed -n 's/.*junction local: node [0-9]* pid \([0-9]*\) .*/\1/p' "$f"); do
      kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
    done
  done
  pids=""
}
cleanup() {
  [[ -n "$ycsb_pid" ]] && kill -TERM "$ycsb_pid" 2>/dev/null || true
  stop_all
  rm -rf "$work/data"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck source=ports.sh
source "$root/bench/ports.sh"

java -cp "$cp" dev.junction.bench.ycsb.Records "$work/value.bin" || die "cannot write the no-op servers' record"

# ycsb PHASE LOG [MAX_SECONDS]: one YCSB run against $endpoints.
ycsb() {
  java -Xms256m -Xmx1g -cp "$cp" site.ycsb.Client "$1" -db dev.junction.bench.ycsb.JunctionDB \
    -P "$workload_dir/workloadc" -p recordcount="$records" -p operationcount="$operations" \
    -p maxexecutiontime="${3:-$seconds}" -p junction.endpoints="$endpoints" -p junction.deadline=5000 \
    -p junction.native="$client_native" \
    -p measurementtype=hdrhistogram -p hdrhistogram.percentiles=50,99 -threads "$threads" > "$2" 2>&1 &
  ycsb_pid=$!
  local rc=0
  wait "$ycsb_pid" || rc=$?
  ycsb_pid=""
  [[ "$rc" == 0 ]] && grep -q '^\[OVERALL\], Throughput' "$2" || { tail -20 "$2" >&2; die "YCSB failed (exit $rc), see $2"; }
}
throughput() { sed -n 's/^\[OVERALL\], Throughput(ops\/sec), \([0-9.]*\)$/\1/p' "$1"; }

noop_round() {   # noop_round N
  local base list="" natives="" i
  base="$(free_base)"
  for i in 0 1 2; do list="$list,127.0.0.1:$((base + i))"; natives="$natives,$((base + 30 + i))"; done
  list="${list#,}"; natives="${natives#,}"
  for i in 0 1 2; do
    "$root/bin/junction" noop-kv --port $((base + i)) --endpoints "$list" --native-ports "$natives" --value-file "$work/value.bin" \
      > "$work/noop-$1-$i.out" 2>&1 &
    pids="$pids $!"
  done
  for i in 0 1 2; do
    for _ in $(seq 1 120); do grep -qs '^listening: ' "$work/noop-$1-$i.out" && break; sleep 0.5; done
    grep -qs '^listening: ' "$work/noop-$1-$i.out" || die "no-op server $i did not start; see $work/noop-$1-$i.out"
  done
  endpoints="$list"
  ycsb -t "$work/noop-$1.log"
  stop_all
  echo "round $1 noop-grpc: $(java -cp "$cp" dev.junction.bench.ycsb.YcsbSummary summary "$work/noop-$1.log")"
}

junction_round() {   # junction_round N
  local base out="$work/local-$1.out" err="$work/local-$1.err"
  base="$(free_base)"
  "$root/bin/junction" local --nodes 3 --data "$work/data" --port "$base" --cluster-port $((base + 10)) --management-port $((base + 20)) \
    --ranges 9 --split-prefix user --split-alphabet 123456789 > "$out" 2> "$err" &
  pids="$pids $!"
  for _ in $(seq 1 300); do grep -qs '^ready: ' "$out" && break; sleep 1; done
  grep -qs '^ready: ' "$out" || { tail -20 "$err" >&2; die "the cluster did not get ready; see $err"; }
  endpoints="$(sed -n 's/^ready: //p' "$out")"
  if [[ "$1" == 1 ]]; then
    ycsb -load "$work/load.log" 1800   # every record, however long it takes (bounded at 30 minutes)
    echo "load: $(java -cp "$cp" dev.junction.bench.ycsb.YcsbSummary summary "$work/load.log")"
  fi
  ycsb -t "$work/junction-$1.log"
  stop_all
  echo "round $1 junction: $(java -cp "$cp" dev.junction.bench.ycsb.YcsbSummary summary "$work/junction-$1.log")"
}

echo "ceiling.sh: workload C, $records records, $threads threads, runs of at most $seconds s, $rounds round(s)" >&2
noop_total=0; junction_total=0
for round in $(seq 1 "$rounds"); do
  if (( round % 2 == 1 )); then noop_round "$round"; junction_round "$round"
  else junction_round "$round"; noop_round "$round"; fi
  noop_total=$(echo "$noop_total + $(throughput "$work/noop-$round.log")" | bc -l)
  junction_total=$(echo "$junction_total + $(throughput "$work/junction-$round.log")" | bc -l)
done
echo "ceiling.sh: logs in $work" >&2
printf 'junction-vs-noop-grpc read=%.2f\n' "$(echo "$junction_total / $noop_total" | bc -l)"
