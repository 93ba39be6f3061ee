#!/usr/bin/env bash
# YCSB workloads (1 KB records) against Junction, on a running cluster or one this script starts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
workload_dir="${YCSB_WORKLOADS:-$root/../shared/ycsb-workloads}"

usage() {
  cat <<'USAGE'
Usage: bench/ycsb.sh [options]

Runs YCSB workloads against Junction through the Java client and prints, per workload, the
throughput and the p50/p99 latency of each operation. Records are YCSB's defaults: 10 fields of
100 bytes (about 1 KB). Workload files: ../shared/ycsb-workloads (or $YCSB_WORKLOADS).

  --endpoints H:P,...   use a running cluster (not loaded by this script: add --load to load it)
  --load                load the records first (always done on a cluster this script starts)
  --workloads a,b,c     workloads to run, from a..f (default: a,b,c)
  --records N           records loaded (default 10000)
  --operations N        operations per workload (default 20000)
  --threads N           YCSB client threads (default 8)
  --durability MODE     fsync (default, the product default) or replicated, for a cluster started here
  --quick               small and short: 2000 records, 4000 operations
  --compare-routing     measure workload A with switch routing and with server-driven routing on the
                        same data (restarting the cluster in each mode, alternating), and print last:
                        switch-vs-server-driven throughput=R p99=R
  --help                this text

Without --endpoints, a 3-node cluster is started with bin/junction local on free ports, data under
bench/target/, key space split for YCSB's user<digits> keys; it is stopped when the script ends.
USAGE
}

endpoints=""; load=0; workloads="a,b,c"; records=10000; operations=20000; threads=8; compare=0
durability=fsync
while [[ $# -gt 0 ]]; do
  case "$1" in
    --endpoints) endpoints="$2"; shift 2 ;;
    --load) load=1; shift ;;
    --workloads) workloads="$2"; shift 2 ;;
    --records) records="$2"; shift 2 ;;
    --operations) operations="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --durability) durability="$2"; shift 2 ;;
    --quick) records=2000; operations=4000; shift ;;
    --compare-routing) compare=1; shift ;;
    --help|-h) usage; exit 0 ;;
    *) echo "ycsb.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -d "$workload_dir" ]] || { echo "ycsb.sh: no workload files in $workload_dir" >&2; exit 2; }

echo "ycsb.sh: building bench..." >&2
(cd "$root" && mvn -B -q -pl bench -am package -DskipTests) >&2
cp="$root/bench/target/classes:$(cat "$root/bench/target/classpath.txt")"
work="$root/bench/target/ycsb-$$"
mkdir -p "$work"

cluster_pid=""
stop_cluster() {
  if [[ -n "$cluster_pid" ]] && kill -0 "$cluster_pid" 2>/dev/null; then
    kill -TERM "$cluster_pid"
    for _ in $(seq 1 90); do kill -0 "$cluster_pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$cluster_pid" 2>/dev/null && kill -KILL "$cluster_pid"
  fi
  cluster_pid=""
}
trap stop_cluster EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_base() {  # a port with two more free ports after it
  for _ in $(seq 1 50); do
    local base=$(( 20000 + RANDOM % 30000 ))
    if port_free "$base" && port_free $((base + 1)) && port_free $((base + 2)); then echo "$base"; return; fi
  done
  echo "ycsb.sh: no free ports" >&2; exit 1
}

# start_cluster ROUTING DATA: starts bin/junction local, sets $endpoints.
start_cluster() {
  local routing="$1" data="$2"
  local out="$work/local-$routing-$RANDOM.out"
  "$root/bin/junction" local --nodes 3 --data "$data" --port "$(free_base)" --cluster-port "$(free_base)" \
    --routing "$routing" --durability "$durability" --ranges 6 --split-prefix user --split-alphabet 0123456789 > "$out" 2>> "$work/local.err" &
  cluster_pid=$!
  for _ in $(seq 1 240); do
    if grep -qs '^ready: ' "$out"; then endpoints="$(sed -n 's/^ready: //p' "$out")"; return; fi
    kill -0 "$cluster_pid" 2>/dev/null || break
    sleep 1
  done
  echo "ycsb.sh: the cluster did not get ready; see $work/local.err and $data/node-*/node.log" >&2
  exit 1
}

ycsb() {  # ycsb PHASE WORKLOAD LOG [OPERATIONS]
  java -Xmx1g -cp "$cp" site.ycsb.Client "$1" -db dev.junction.bench.ycsb.JunctionDB \
    -P "$workload_dir/workload$2" -p recordcount="$records" -p operationcount="${4:-$operations}" \
    -p junction.endpoints="$endpoints" -p measurementtype=hdrhistogram -p hdrhistogram.percentiles=50,99 \
    -threads "$threads" > "$3" 2>&1 || { echo "ycsb.sh: YCSB failed, see $3" >&2; exit 1; }
}

# summary LOG: "throughput=X ops/s  READ p50=.. p99=.. ms  UPDATE ..."
summary() {
  awk -F', ' '
    $1 == "[OVERALL]" && $2 == "Throughput(ops/sec)" { tp = $3 }
    $1 ~ /^\[[A-Z-]+\]$/ && $1 != "[OVERALL]" && $1 !~ /FAILED|CLEANUP/ {
      op = substr($1, 2, length($1) - 2)
      if ($2 == "Operations") { ops[op] = $3; order[++n] = op }
      if ($2 == "50thPercentileLatency(us)") p50[op] = $3
      if ($2 == "99thPercentileLatency(us)") p99[op] = $3
      if ($2 == "Return=ERROR") err[op] = $3
    }
    END {
      printf "throughput=%.0f ops/s", tp
      for (i = 1; i <= n; i++) { op = order[i]
        printf "  %s n=%d p50=%.2fms p99=%.2fms", op, ops[op], p50[op] / 1000, p99[op] / 1000
        if (err[op] > 0) printf " errors=%d", err[op]
      }
      printf "\n"
    }' "$1"
}

# worst_p99 LOG: the largest p99 (us) over the operations of a run
worst_p99() {
  awk -F', ' '$2 == "99thPercentileLatency(us)" && $1 != "[CLEANUP]" && $3 > m { m = $3 } END { print m + 0 }' "$1"
}
throughput() { awk -F', ' '$1 == "[OVERALL]" && $2 == "Throughput(ops/sec)" { print $3 }' "$1"; }

echo "ycsb.sh: $records records, $operations operations per workload, $threads threads" >&2
if [[ "$compare" == 1 ]]; then
  data="$work/data"
  start_cluster switch "$data"
  ycsb -load a "$work/load.log"
  echo "load: $(summary "$work/load.log")"
  rounds=2; [[ "$records" -le 2000 ]] && rounds=1
  sw_tp=0; sd_tp=0; sw_p99=0; sd_p99=0
  for round in $(seq 1 "$rounds"); do
    modes="switch server-driven"; (( round % 2 == 0 )) && modes="server-driven switch"
    for mode in $modes; do
      # Every measured run starts on a freshly started cluster in its mode and is preceded by an
      # unmeasured warm-up, so that neither mode runs on warmer JVMs than the other.
      stop_cluster; start_cluster "$mode" "$data"
      ycsb -t a "$work/warmup-$mode-$round.log" $(( operations / 4 ))
      log="$work/a-$mode-$round.log"
      ycsb -t a "$log"
      echo "round $round $mode: $(summary "$log")"
      if [[ "$mode" == switch ]]; then
        sw_tp=$(awk -v a="$sw_tp" -v b="$(throughput "$log")" 'BEGIN { print a + b }')
        sw_p99=$(awk -v a="$sw_p99" -v b="$(worst_p99 "$log")" 'BEGIN { print a + b }')
      else
        sd_tp=$(awk -v a="$sd_tp" -v b="$(throughput "$log")" 'BEGIN { print a + b }')
        sd_p99=$(awk -v a="$sd_p99" -v b="$(worst_p99 "$log")" 'BEGIN { print a + b }')
      fi
    done
  done
  stop_cluster
  awk -v a="$sw_tp" -v b="$sd_tp" -v c="$sd_p99" -v d="$sw_p99" \
    'BEGIN { printf "switch-vs-server-driven throughput=%.2f p99=%.2f\n", a / b, c / d }'
  exit 0
fi

if [[ -z "$endpoints" ]]; then
  start_cluster switch "$work/data"
  load=1
fi
if [[ "$load" == 1 ]]; then
  ycsb -load a "$work/load.log"
  echo "load: $(summary "$work/load.log")"
fi
IFS=',' read -r -a list <<< "$workloads"
for w in "${list[@]}"; do
  [[ -f "$workload_dir/workload$w" ]] || { echo "ycsb.sh: no workload $w in $workload_dir" >&2; exit 2; }
  log="$work/workload$w.log"
  ycsb -t "$w" "$log"
  echo "workload $w: $(summary "$log")"
done
echo "logs in $work" >&2
