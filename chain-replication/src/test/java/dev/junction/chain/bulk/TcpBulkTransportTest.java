package dev.junction.chain.bulk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.store.KeyValue;
import dev.junction.store.Keys;
import dev.junction.store.RangeMeta;
import dev.junction.store.SsdStore;
import dev.junction.store.StoreSettings;
import dev.junction.store.WriteBatch;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A range copied between two stores over loopback TCP: whole, through a broken connection, resumed. */
class TcpBulkTransportTest {
  @TempDir Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static InetSocketAddress loopback() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  }

  private SsdStore sourceWithData(int n) {
    SsdStore store = SsdStore.open(StoreSettings.defaults(dir.resolve("source")).withMapSizes(64 << 20, 1L << 30));
    Random random = new Random(3);
    WriteBatch batch = new WriteBatch();
    for (int i = 0; i < n; i++) {
      byte[] value = new byte[i % 100 == 0 ? 300_000 : 200]; // some large values span chunks
      random.nextBytes(value);
      batch.put(b(String.format("r1/%06d", i)), value, i + 1);
      if (i % 500 == 499) {
        store.write(batch);
        batch = new WriteBatch();
      }
    }
    batch.put(b("r2/other-range"), b("not asked for"), 1);
    batch.putMeta(1, new RangeMeta(4, n, b("r1/"), b("r1/\u00ff")));
    store.write(batch);
    return store;
  }

  @Test
  void aRangeArrivesWholeInKeyOrderWithTheMetadataOfItsSnapshot() throws Exception {
    BufferPool pool = new BufferPool(1 << 20, 4);
    try (SsdStore source = sourceWithData(3000);
        SsdStore target = SsdStore.open(StoreSettings.defaults(dir.resolve("target")).withMapSizes(64 << 20, 1L << 30));
        TcpBulkTransport server = TcpBulkTransport.start(loopback(), r -> source.snapshot(r.from(), r.to()), pool);
        TcpBulkTransport client = TcpBulkTransport.start(loopback(), r -> { throw new IllegalStateException(); }, pool)) {
      List<Integer> chunkSizes = new ArrayList<>();
      TransferRequest request = new TransferRequest(1, b("r1/"), b("r1/\u00ff"));
      TransferResult result =
          client.fetch(server.address(), request, chunk -> {
            chunkSizes.add(chunk.size());
            target.importEntries(chunk.iterator(), 256);
          }).get(60, TimeUnit.SECONDS);
      assertEquals(3000, result.entries());
      assertTrue(chunkSizes.size() >= 9, "about 9.6 MB streamed in chunks of at most 1 MiB: " + chunkSizes.size());
      assertEquals(3000, result.meta().orElseThrow().appliedSeq());
      assertArrayEquals(b("r1/002999"), result.lastKey());
      assertEquals(
          source.scan(b("r1/"), b("r1/\u00ff"), 10_000), target.scan(Keys.unbounded(), Keys.unbounded(), 10_000));
      assertEquals(0, pool.heldBy(String.valueOf(server.address())), "buffers went back to the pool");
    }
  }

  @Test
  void anInterruptedTransferResumesAfterTheLastKeyItDelivered() throws Exception {
    BufferPool pool = new BufferPool(512 * 1024, 4);
    try (SsdStore source = sourceWithData(2000);
        TcpBulkTransport server = TcpBulkTransport.start(loopback(), r -> source.snapshot(r.from(), r.to()), pool);
        TcpBulkTransport client = TcpBulkTransport.start(loopback(), r -> { throw new IllegalStateException(); }, pool)) {
      server.failAfterChunks(3);
      List<KeyValue> received = new ArrayList<>();
      TransferRequest request = new TransferRequest(1, b("r1/"), b("r1/\u00ff"));
      ExecutionException broken =
          assertThrows(ExecutionException.class,
              () -> client.fetch(server.address(), request, received::addAll).get(60, TimeUnit.SECONDS));
      assertInstanceOf(IOException.class, broken.getCause());
      int before = received.size();
      assertTrue(before > 0 && before < 2000, "some chunks arrived: " + before);
      server.failAfterChunks(0);
      TransferResult rest =
          client.fetch(server.address(), request.after(received.get(before - 1).key()), received::addAll)
              .get(60, TimeUnit.SECONDS);
      assertEquals(2000 - before, rest.entries());
      assertEquals(source.scan(b("r1/"), b("r1/\u00ff"), 10_000), received, "nothing lost, nothing twice");
    }
  }

  @Test
  void thePoolSharesItsBuffersAmongPeersWhenShort() throws Exception {
    BufferPool pool = new BufferPool(1024, 4);
    var a1 = pool.acquire("a", 1, TimeUnit.SECONDS);
    var a2 = pool.acquire("a", 1, TimeUnit.SECONDS);
    var a3 = pool.acquire("a", 1, TimeUnit.SECONDS);
    assertEquals(3, pool.heldBy("a"), "alone, a peer may use the whole pool");
    assertEquals(2, pool.shareOf("b"), "with a second peer each gets half");
    var b1 = pool.acquire("b", 1, TimeUnit.SECONDS);
    assertEquals(null, pool.acquire("b", 50, TimeUnit.MILLISECONDS), "the pool is empty now");
    pool.release("a", a3);
    var b2 = pool.acquire("b", 1, TimeUnit.SECONDS);
    assertEquals(2, pool.heldBy("b"));
    pool.release("a", a2);
    assertEquals(null, pool.acquire("b", 50, TimeUnit.MILLISECONDS), "b holds its share; a's buffer waits for a");
    assertTrue(pool.acquire("a", 1, TimeUnit.SECONDS) != null);
    pool.release("b", b1);
    pool.release("b", b2);
    assertThrows(IllegalStateException.class, () -> pool.release("c", a1));
  }
}
