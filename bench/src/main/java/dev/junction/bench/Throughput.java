package dev.junction.bench;

/** Operations done in a measured time; sums over rounds. */
record Throughput(long ops, long nanos) {
  static final Throughput NONE = new Throughput(0, 0);

  Throughput plus(Throughput other) {
    return new Throughput(ops + other.ops, nanos + other.nanos);
  }

  double perSecond() {
    return nanos == 0 ? 0 : ops * 1e9 / nanos;
  }
}
