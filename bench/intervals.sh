#!/usr/bin/env bash
# Prints, for each YCSB status log given (the stderr of `ycsb ... -s`, e.g. the peers harness's
# results/RUN/*-<workload>-r1.log), each 10-second interval's throughput and each operation's count, mean,
# p99 and maximum (ms), so that a phase's warm-up (its first interval: a new client JVM compiling its code)
# can be told from its steady state. YCSB's own summary mixes both.
# Usage: bench/intervals.sh LOG...
set -euo pipefail
if [[ $# -eq 0 || $1 == -h || $1 == --help ]]; then
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
  exit $(( $# == 0 ? 2 : 0 ))
fi
for log in "$@"; do
  echo "== $log"
  awk '
    / sec: [0-9]+ operations;/ {
      t = $3; rate = "";
      if (match($0, /; [0-9.]+ current ops\/sec/)) { rate = substr($0, RSTART + 2, RLENGTH - 18) }
      line = sprintf("%5ss %9s ops/s", t, rate == "" ? "-" : sprintf("%.0f", rate));
      rest = $0;
      while (match(rest, /\[[A-Z_-]+: Count=[0-9]+, Max=[0-9]+, Min=[0-9]+, Avg=[0-9.]+, 90=[0-9]+, 99=[0-9]+/)) {
        m = substr(rest, RSTART + 1, RLENGTH - 1); rest = substr(rest, RSTART + RLENGTH);
        split(m, f, /[:=,] ?/);
        # f: OP, " Count", n, "Max", max, "Min", min, "Avg", avg, "90", p90, "99", p99
        if (f[1] == "CLEANUP") continue;
        line = line sprintf("  %s n=%d avg=%.1f p99=%.1f max=%.1f", f[1], f[3], f[9] / 1000, f[13] / 1000, f[5] / 1000);
      }
      print line;
    }' "$log"
done
