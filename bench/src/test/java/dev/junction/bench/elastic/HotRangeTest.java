package dev.junction.bench.elastic;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.junction.client.proto.RangeInfo;
import dev.junction.client.proto.ReplicaInfo;
import dev.junction.client.proto.RoutingTableResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HotRangeTest {
  private static RangeInfo range(String start, String end, String... chain) {
    RangeInfo.Builder b = RangeInfo.newBuilder().setStart(ByteString.copyFromUtf8(start)).setEnd(ByteString.copyFromUtf8(end));
    for (int i = 0; i < chain.length; i++) {
      b.addChain(ReplicaInfo.newBuilder().setSlot(i).setNode(chain[i]));
    }
    return b.build();
  }

  private static final byte[] FROM = "user55".getBytes(StandardCharsets.UTF_8);
  private static final byte[] TO = HotRange.key("user55", 10_000);

  @Test
  void theHotKeysAreSpreadOnlyOverTwoRangesHeadedOnDifferentNodes() {
    RoutingTableResponse one = RoutingTableResponse.newBuilder()
        .addRanges(range("", "user54", "a", "b")).addRanges(range("user54", "user58", "a", "b"))
        .addRanges(range("user58", "", "b", "a")).build();
    assertFalse(HotRange.spread(one, FROM, TO), "one range holds them all");
    RoutingTableResponse sameHead = RoutingTableResponse.newBuilder()
        .addRanges(range("", "user5500004000", "a", "b")).addRanges(range("user5500004000", "", "a", "b")).build();
    assertFalse(HotRange.spread(sameHead, FROM, TO), "split, but both parts' writes still enter at a");
    RoutingTableResponse spread = RoutingTableResponse.newBuilder()
        .addRanges(range("", "user5500004000", "a", "b")).addRanges(range("user5500004000", "", "b", "a")).build();
    assertTrue(HotRange.spread(spread, FROM, TO));
    RoutingTableResponse elsewhere = RoutingTableResponse.newBuilder()
        .addRanges(range("", "user56", "a", "b")).addRanges(range("user56", "", "b", "a")).build();
    assertFalse(HotRange.spread(elsewhere, FROM, TO), "a split outside the hot keys does not count");
  }
}
