#!/usr/bin/env bash
# The bulk path (state transfer) against a raw loopback socket copy; see bench/README.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage() {
  cat <<'USAGE'
usage: bench/bulk-bench.sh [--quick] [--mb N] [--rounds R]

The bulk path (state transfer to a new replica) against a raw loopback socket copy of the same bytes,
in one run: a store is loaded with N MB of 1 KB values, then each round measures raw (one TCP connection,
1 MiB writes), bulk (TcpBulkTransport from a snapshot to a counting sink) and transfer (the same into a
second store). The last line is
  bulk-vs-raw bulk=R transfer=R
(medians of the rounds; round 0 warms up and is not counted).

  --mb N       data in the range (default 256; --quick: 32)
  --rounds R   measured rounds (default 3; --quick: 2)
  --help       this text

Data goes to a fresh directory under bench/target/, deleted at the end. JVM options: BULK_BENCH_JAVA_OPTS
(default -Xms1g -Xmx1g).
USAGE
}
for arg in "$@"; do
  if [[ "$arg" == "--help" || "$arg" == "-h" ]]; then usage; exit 0; fi
done
exec "$root/bench/run-main.sh" bulk-bench dev.junction.bench.BulkBench "${BULK_BENCH_JAVA_OPTS:-}" "$@"
