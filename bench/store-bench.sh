#!/usr/bin/env bash
# Compares ssd-store with raw LMDB-Java (gets, batched puts, group commit under fsync); see bench/README.md.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: bench/store-bench.sh [--quick] [--keys N] [--dir DIR] [--threads T] [--seconds S]
                            [--rounds R]

Compares ssd-store with raw LMDB-Java in one run, on the same data (32-byte keys, 1 KB values):
random gets, puts in batches of 64, and 8 concurrent single-put writers in fsync mode (group
commit against one raw commit per put). The last line is
  store-vs-raw get=R batch-put=R groupcommit-speedup=R
(targets: get >= 0.9, batch-put >= 0.9, groupcommit-speedup >= 3).

  --quick        short run: 100,000 keys, 4 rounds of 1 s per side in the get and group-commit
                 phases (default: 1,000,000 keys, 6 rounds of 2 s)
  --keys N       keys loaded into each side (1000 to 5000000; overrides --quick)
  --dir DIR      where the data goes; must be empty or missing, and what the run creates in it is
                 deleted at the end. Default: a fresh directory under bench/target/ (or the
                 system's temporary directory), deleted at the end
  --threads T    threads doing random gets (default 2)
  --seconds S    length of one timed round of one side (default 2, with --quick 1)
  --rounds R     timed rounds per side in the get and group-commit phases (even; default 6,
                 with --quick 4)
  --help         this text

The script first builds the bench module with Maven (incremental, quiet unless it fails), then runs
dev.junction.bench.StoreBench with the JVM flags LMDB-Java needs. Extra JVM options go in
STORE_BENCH_JAVA_OPTS (default: -Xms1g -Xmx1g). See bench/README.md.
USAGE
}

for arg in "$@"; do
  if [[ "$arg" == "--help" || "$arg" == "-h" ]]; then
    usage
    exit 0
  fi
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Always build: Maven is incremental, so this is quick when nothing changed. Its output is shown only
# when the build fails. The benchmark itself runs in the caller's directory, so a relative --dir means
# what the caller expects; its default data directory is under bench/target/.
exec "$root/bench/run-main.sh" store-bench dev.junction.bench.StoreBench "${STORE_BENCH_JAVA_OPTS:-}" "$@"
