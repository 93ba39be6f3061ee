package dev.junction.sharding.routing;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Small builders shared by the routing tests. */
final class Fixtures {
  static final List<Replica> CHAIN = List.of(new Replica(0, "n1"), new Replica(1, "n2"));
  static final byte[] OPEN = new byte[0];

  private Fixtures() {}

  /** A key from unsigned byte values, e.g. {@code key(0x40, 0xff)}. */
  static byte[] key(int... bytes) {
    byte[] out = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = (byte) bytes[i];
    }
    return out;
  }

  /** A key from ASCII text. */
  static byte[] s(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  /** A range at epoch 1 on {@link #CHAIN}. */
  static RangeConfig range(long id, byte[] start, byte[] end) {
    return new RangeConfig(id, start, end, 1, CHAIN);
  }

  /** Ranges 1 [, b), 2 [b, d), 3 [d, f), 4 [f, +inf) on nodes n1, n2, n3 with replication factor 2. */
  static RoutingTable letters() {
    return RoutingTable.initial(List.of(s("b"), s("d"), s("f")), List.of("n1", "n2", "n3"), 2);
  }

  /** The same layout as {@code base} at {@code version}. */
  static RoutingTable atVersion(RoutingTable base, long version) {
    return RoutingTable.of(version, base.ranges());
  }
}
