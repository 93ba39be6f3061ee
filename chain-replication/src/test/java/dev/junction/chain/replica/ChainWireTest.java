package dev.junction.chain.replica;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.bulk.BufferPool;
import dev.junction.chain.bulk.TcpBulkTransport;
import dev.junction.chain.core.LogEntry;
import dev.junction.chain.core.Mutation;
import dev.junction.chain.core.PeerMessage;
import dev.junction.chain.core.RequestId;
import dev.junction.chain.serialization.ChainBatchSerializer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** Chain batches over their own connections to a bulk port: in order, whole, and given up when broken. */
class ChainWireTest {
  private static final String NODE = "pekko://junction@127.0.0.1:1";

  private static InetSocketAddress loopback() {
    return new InetSocketAddress("127.0.0.1", 0);
  }

  /** A bulk port on loopback whose chain connections {@code receiving} serves. */
  static TcpBulkTransport server(ChainWire receiving) throws Exception {
    TcpBulkTransport t = TcpBulkTransport.start(loopback(), r -> {
      throw new IllegalStateException("no snapshots here");
    }, new BufferPool(64 << 10, 2));
    t.acceptStreams(ChainWire.MAGIC, receiving::serve);
    return t;
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(5); // polling interval of a deadline wait
    }
  }

  private static List<ChainLink.Item> durable(long seq) {
    return List.of(new ChainLink.Item(7, 2, new PeerMessage.Durable(3, 1, seq)));
  }

  /** A frame as the sender writes it: the batch's length, then the batch. */
  private static byte[] frame(List<ChainLink.Item> items) {
    byte[] f = ChainBatchSerializer.encode(items, 4);
    java.nio.ByteBuffer.wrap(f).putInt(f.length - 4);
    return f;
  }

  @Test
  void framesAreDeliveredWholeWhateverPiecesTheReadsCutThemInto() throws Exception {
    java.io.ByteArrayOutputStream stream = new java.io.ByteArrayOutputStream();
    int frames = 300;
    for (int i = 1; i <= frames; i++) {
      stream.write(frame(durable(i)));
    }
    byte[] big = new byte[1000];
    java.util.Arrays.fill(big, (byte) 7);
    stream.write(frame(List.of(new ChainLink.Item(7, 2, new PeerMessage.Forward(3, 0,
        List.of(new LogEntry(frames + 1, new Mutation.Set("k".getBytes(), big), new RequestId("c", 1))))))));
    byte[] all = stream.toByteArray();
    for (int piece : new int[] {1, 3, 7, 64, 1000, all.length}) {
      List<ChainLink.Item> got = new ArrayList<>();
      // A buffer smaller than the large frame, so that it must grow for it.
      java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(256);
      for (int at = 0; at < all.length; ) {
        int n = Math.min(Math.min(piece, in.remaining()), all.length - at);
        in.put(all, at, n);
        at += n;
        in = ChainWire.deliverFrames(in.flip(), got::addAll);
      }
      assertEquals(frames + 1, got.size(), "pieces of " + piece);
      for (int i = 1; i <= frames; i++) {
        assertEquals(new PeerMessage.Durable(3, 1, i), got.get(i - 1).message(), "pieces of " + piece);
      }
      PeerMessage.Forward f = (PeerMessage.Forward) got.get(frames).message();
      assertArrayEquals(big, ((Mutation.Set) f.entries().get(0).mutation()).value());
      assertEquals(0, in.position(), "nothing left over");
    }
  }

  @Test
  void aFrameOfImplausibleLengthEndsTheConnection() {
    java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(16).putInt(-5).putInt(0).flip();
    assertThrows(java.io.IOException.class, () -> ChainWire.deliverFrames(in, items -> { }));
    java.nio.ByteBuffer huge = java.nio.ByteBuffer.allocate(16).putInt(ChainWire.MAX_FRAME_BYTES + 1).flip();
    assertThrows(java.io.IOException.class, () -> ChainWire.deliverFrames(huge, items -> { }));
  }

  @Test
  void batchesArriveInTheOrderSentAndWhole() throws Exception {
    List<ChainLink.Item> received = new CopyOnWriteArrayList<>();
    try (ChainWire receiving = new ChainWire(received::addAll);
        TcpBulkTransport port = server(receiving);
        ChainWire sending = new ChainWire(items -> { })) {
      assertFalse(sending.send(NODE, durable(0)), "no connection yet: the caller sends another way");
      sending.connect(NODE, port.address());
      await("connected", () -> sending.connected(NODE));
      byte[] big = new byte[1 << 20];
      for (int i = 0; i < big.length; i++) {
        big[i] = (byte) (i * 31);
      }
      int batches = 2000;
      for (int i = 1; i <= batches; i++) {
        List<ChainLink.Item> batch = i % 100 == 0
            ? List.of(new ChainLink.Item(7, 2, new PeerMessage.Forward(3, 0,
                List.of(new LogEntry(i, new Mutation.Set(("k" + i).getBytes(), big), new RequestId("c", i))))))
            : durable(i);
        assertTrue(sending.send(NODE, batch), "batch " + i);
      }
      await("every batch arrived", () -> received.size() == batches);
      // The counters: one frame and one message per batch each way, the bytes written are the bytes read,
      // and reads took in one frame or more each.
      assertEquals(batches, sending.stats().framesSent());
      assertEquals(batches, sending.stats().messagesSent());
      assertEquals(batches, receiving.stats().framesReceived());
      assertEquals(batches, receiving.stats().messagesReceived());
      assertEquals(sending.stats().bytesSent(), receiving.stats().bytesReceived());
      assertTrue(sending.stats().bytesSent() > 20L * big.length, "twenty 1 MiB values went through");
      assertTrue(receiving.stats().reads() > 0 && receiving.stats().reads() <= receiving.stats().bytesReceived(),
          receiving.stats().reads() + " reads");
      for (int i = 1; i <= batches; i++) {
        ChainLink.Item item = received.get(i - 1);
        assertEquals(7, item.rangeId());
        assertEquals(2, item.toSlot());
        if (i % 100 == 0) {
          PeerMessage.Forward f = (PeerMessage.Forward) item.message();
          Mutation.Set set = (Mutation.Set) f.entries().get(0).mutation();
          assertEquals(i, f.entries().get(0).seq());
          assertArrayEquals(big, set.value(), "the 1 MiB value of batch " + i);
        } else {
          assertEquals(new PeerMessage.Durable(3, 1, i), item.message(), "batch " + i + " in order");
        }
      }
    }
  }

  @Test
  void aConnectionWhoseReceiverWentAwayIsGivenUpAndANewOneCanBeMade() throws Exception {
    List<ChainLink.Item> received = new CopyOnWriteArrayList<>();
    try (ChainWire receiving = new ChainWire(received::addAll);
        ChainWire sending = new ChainWire(items -> { })) {
      TcpBulkTransport first = server(receiving);
      sending.connect(NODE, first.address());
      await("connected", () -> sending.connected(NODE));
      assertTrue(sending.send(NODE, durable(1)));
      await("the first batch arrived", () -> received.size() == 1);
      first.close();
      receiving.close(); // the receiver's process is gone: its connections close
      int[] sent = {0};
      await("the sender noticed", () -> ++sent[0] > 10_000 || !sending.send(NODE, durable(2)));
      assertTrue(sent[0] <= 10_000, "a send failed within 10,000 tries");
      assertFalse(sending.connecting(NODE));

      List<ChainLink.Item> again = new CopyOnWriteArrayList<>();
      try (ChainWire restarted = new ChainWire(again::addAll); TcpBulkTransport second = server(restarted)) {
        sending.connect(NODE, second.address());
        await("connected again", () -> sending.connected(NODE));
        assertTrue(sending.send(NODE, durable(3)));
        await("the batch arrived at the new receiver", () -> again.size() == 1);
        assertEquals(new PeerMessage.Durable(3, 1, 3), again.get(0).message());
      }
    }
  }

  @Test
  void aReceiverThatStopsReadingCostsTheSenderABoundedQueueThenTheConnection() throws Exception {
    CountDownLatch stuck = new CountDownLatch(1);
    try (ChainWire receiving = new ChainWire(items -> {
          try {
            stuck.await(60, TimeUnit.SECONDS); // a paused process: nothing more is read
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        TcpBulkTransport port = server(receiving);
        ChainWire sending = new ChainWire(items -> { })) {
      sending.connect(NODE, port.address());
      await("connected", () -> sending.connected(NODE));
      List<ChainLink.Item> big = List.of(new ChainLink.Item(7, 2, new PeerMessage.Forward(3, 0,
          List.of(new LogEntry(1, new Mutation.Set("k".getBytes(), new byte[1 << 20]), null)))));
      int sends = 0;
      while (sends < 1000 && sending.send(NODE, big)) {
        sends++; // each returns at once: written or queued, never blocking the caller
      }
      long bound = ChainWire.MAX_QUEUED_BYTES >> 20;
      assertTrue(sends > bound && sends < 1000,
          "given up after more than the queue's " + bound + " MiB (plus socket buffers): " + sends + " sends");
      assertFalse(sending.connecting(NODE));
    } finally {
      stuck.countDown();
    }
  }
}
