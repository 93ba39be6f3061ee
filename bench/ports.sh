# Sourced by the benchmark scripts: free ports on 127.0.0.1. Needs a die() function.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# free_base: a port P with P..P+2 (gRPC), P+10..P+12 (cluster), P+20..P+22 (management) and P+30..P+32
# (native endpoints, where a script sets them) free, below Linux's ephemeral ports.
free_base() {
  for _ in $(seq 1 100); do
    local base=$(( 20000 + RANDOM % 12000 )) ok=1
    for p in 0 1 2 10 11 12 20 21 22 30 31 32; do port_free $((base + p)) || { ok=0; break; }; done
    if [[ "$ok" == 1 ]]; then echo "$base"; return; fi
  done
  die "no free ports"
}
