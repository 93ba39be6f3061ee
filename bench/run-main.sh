#!/usr/bin/env bash
# Shared by the benchmark scripts: builds the bench module (incremental, quiet unless it fails), then
# runs a main class of it with the JVM flags LMDB-Java needs. Usage:
#   bench/run-main.sh NAME MAIN_CLASS JAVA_OPTS [ARGS...]
# NAME prefixes messages; JAVA_OPTS replaces the default heap flags when not empty.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="$1"; main="$2"; java_opts="${3:--Xms1g -Xmx1g}"; shift 3
echo "$name: building bench (mvn -B -q -pl bench -am package -DskipTests)..." >&2
if ! build_log="$(cd "$root" && mvn -B -q -pl bench -am package -DskipTests 2>&1)"; then
  printf '%s\n' "$build_log" >&2
  echo "$name: the build failed" >&2
  exit 1
fi
# shellcheck disable=SC2086 # JVM options are words
exec java --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
  $java_opts -Dstore-bench.tmp="$root/bench/target" \
  -cp "$root/bench/target/classes:$(cat "$root/bench/target/classpath.txt")" \
  "$main" "$@"
