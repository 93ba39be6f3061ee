package dev.junction.chain.serialization;

import static dev.junction.chain.serialization.SameContent.assertSameContent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Output;
import java.io.NotSerializableException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Junction's Kryo serializer through Pekko's serialization extension, on a small protocol shaped like
 * Junction's own (a sealed interface of records and an enum singleton, byte arrays, immutable lists,
 * optionals, nested records, typed and classic actor refs); Java serialization is off.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KryoSerializerTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  /** The sample protocol. */
  sealed interface Sample extends JunctionSerializable permits Put, Batch, Stop, Refs, Misc {}

  /** A write: a nullable byte array next to an optional one, and a reply ref. */
  record Put(String key, byte[] value, byte[] expected, Optional<byte[]> previous, ActorRef<Ack> replyTo)
      implements Sample {}

  enum Kind {
    SET,
    REMOVE
  }

  /** A nested record whose compact constructor checks its fields (it runs again on arrival). */
  record Entry(long seq, byte[] key, Optional<String> note, Kind kind) {
    Entry {
      if (seq < 0) {
        throw new IllegalArgumentException("seq " + seq);
      }
    }
  }

  /** Immutable collections of nested records. */
  record Batch(long epoch, List<Entry> entries, Optional<Entry> last, Map<String, List<Long>> index, List<Entry> none)
      implements Sample {
    Batch {
      entries = List.copyOf(entries);
    }
  }

  /** A field-less message. */
  enum Stop implements Sample {
    INSTANCE
  }

  /** Actor refs in every position: typed, classic, in a list, in an optional. */
  record Refs(
      ActorRef<Ack> typed, org.apache.pekko.actor.ActorRef classic, List<ActorRef<Ack>> more, Optional<ActorRef<Ack>> maybe)
      implements Sample {}

  /** A nested sealed hierarchy as a field, and values Kryo needs help with (UUID). */
  sealed interface Op permits Op.Write, Op.Delete {
    record Write(byte[] value) implements Op {}

    record Delete() implements Op {}
  }

  record Misc(UUID id, Instant at, Duration timeout, Set<String> tags, List<Op> ops, int[] counts, char flag)
      implements Sample {}

  record Ack(long seq) implements JunctionSerializable {}

  /** Not a Junction message. */
  record Unmarked(String text) {}

  /** Not a Junction message either, though Java serialization could take it if it were on. */
  record UnmarkedSerializable(String text) implements java.io.Serializable {}

  /** Holds a wrapper Kryo writes but cannot read back. */
  record Wrapped(List<String> items) implements JunctionSerializable {}

  private ActorTestKit kit;
  private Serialization serialization;
  private TestProbe<Ack> probe;
  private final List<Sample> samples = new ArrayList<>();

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  @BeforeAll
  void start() {
    kit = ActorTestKit.create("kryo-serializer-test");
    serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
    probe = kit.createTestProbe();
    Entry set = new Entry(1, b("k1"), Optional.of("first"), Kind.SET);
    Entry remove = new Entry(2, b("k2"), Optional.empty(), Kind.REMOVE);
    samples.addAll(
        List.of(
            new Put("key", random(1 << 20, 1), null, Optional.of(b("old")), probe.getRef()),
            new Put("", new byte[0], b("expected"), Optional.empty(), probe.getRef()),
            new Batch(
                7,
                new ArrayList<>(List.of(set, remove)),
                Optional.of(remove),
                Map.of("a", List.of(1L, 2L), "b", List.of()),
                List.of()),
            Stop.INSTANCE,
            new Refs(
                probe.getRef(),
                Adapter.toClassic(probe.getRef()),
                List.of(probe.getRef(), probe.getRef()),
                Optional.of(probe.getRef())),
            new Misc(
                UUID.randomUUID(),
                Instant.ofEpochSecond(1_700_000_000L, 42),
                Duration.ofMillis(1500),
                Set.of("x", "y"),
                List.of(new Op.Write(b("v")), new Op.Delete()),
                new int[] {1, 2, 3},
                'j')));
  }

  @AfterAll
  void stop() {
    kit.shutdownTestKit();
  }

  private Object roundTrip(Object message) {
    Serializer serializer = serialization.findSerializerFor(message);
    assertEquals(KryoSerializer.IDENTIFIER, serializer.identifier(), message.getClass().getName());
    byte[] bytes = serialization.serialize(message).get();
    return serialization.deserialize(bytes, serializer.identifier(), "").get();
  }

  @Test
  void everySampleRoundTripsThroughTheKryoSerializer() throws Exception {
    for (Sample sample : samples) {
      assertEquals(KryoSerializer.IDENTIFIER, serialization.serializerFor(sample.getClass()).identifier());
      Object back = roundTrip(sample);
      if (sample instanceof Enum<?>) {
        assertSame(sample, back);
      } else {
        assertNotSame(sample, back);
        assertSameContent(sample, back);
      }
    }
  }

  @Test
  void everyMessageTypeOfTheSealedProtocolHasASample() {
    Set<Class<?>> covered = new HashSet<>();
    samples.forEach(s -> covered.add(s.getClass()));
    for (Class<?> type : Sample.class.getPermittedSubclasses()) {
      assertTrue(covered.contains(type), type.getName() + " has no sample");
    }
  }

  @Test
  void immutableListsComeBackImmutable() {
    Batch back = (Batch) roundTrip(samples.get(2));
    assertThrows(UnsupportedOperationException.class, () -> back.entries().add(back.entries().get(0)));
    assertThrows(UnsupportedOperationException.class, () -> back.index().put("c", List.of()));
  }

  @Test
  void refsResolveToTheSameLiveActors() {
    Refs back = (Refs) roundTrip(samples.get(4));
    back.typed().tell(new Ack(1));
    probe.expectMessage(WAIT, new Ack(1));
    back.classic().tell(new Ack(2), org.apache.pekko.actor.ActorRef.noSender());
    probe.expectMessage(WAIT, new Ack(2));
    back.maybe().orElseThrow().tell(new Ack(3));
    probe.expectMessage(WAIT, new Ack(3));
  }

  @Test
  void aOneMebibyteValueCostsLittleMoreThanItsBytes() {
    byte[] bytes = serialization.serialize(samples.get(0)).get();
    assertTrue(bytes.length > 1 << 20 && bytes.length < (1 << 20) + 1024, "serialized size " + bytes.length);
  }

  @Test
  void messagesThatAreNotJunctionSerializableAreRefused() throws Exception {
    // No binding matches a plain record: it cannot be sent at all.
    Exception none = assertThrows(Exception.class, () -> serialization.findSerializerFor(new Unmarked("x")));
    assertInstanceOf(NotSerializableException.class, none);
    assertTrue(serialization.serialize(new Unmarked("x")).isFailure());

    // A java.io.Serializable one finds only Pekko's disabled Java serializer, which refuses it.
    Serializer java = serialization.findSerializerFor(new UnmarkedSerializable("x"));
    assertNotEquals(KryoSerializer.IDENTIFIER, java.identifier());
    assertTrue(serialization.serialize(new UnmarkedSerializable("x")).isFailure());
    assertThrows(RuntimeException.class, () -> java.toBinary(new UnmarkedSerializable("x")));

    // And the Kryo serializer itself refuses anything else, naming the class.
    Serializer kryo = serialization.serializerFor(Stop.class);
    JunctionSerializationException e =
        assertThrows(JunctionSerializationException.class, () -> kryo.toBinary(new Unmarked("x")));
    assertEquals(Unmarked.class.getName(), e.messageClass());
    assertTrue(e.getMessage().contains(Unmarked.class.getName()), e.getMessage());
  }

  @Test
  void unreadableBytesFailNamingTheClass() throws Exception {
    Serializer kryo = serialization.serializerFor(Put.class);
    byte[] whole = kryo.toBinary(samples.get(0));

    // Cut short: the class is known, its fields are not all there.
    JunctionSerializationException cut =
        assertThrows(JunctionSerializationException.class, () -> kryo.fromBinary(Arrays.copyOf(whole, whole.length / 2)));
    assertEquals(Put.class.getName(), cut.messageClass());
    assertTrue(cut.getMessage().contains(Put.class.getName()), cut.getMessage());

    // Extra bytes after the message: written by something else.
    JunctionSerializationException longer =
        assertThrows(JunctionSerializationException.class, () -> kryo.fromBinary(Arrays.copyOf(whole, whole.length + 3)));
    assertTrue(longer.getMessage().contains("3 bytes left"), longer.getMessage());

    // A class this node does not have: Kryo's message names it.
    byte[] stop = kryo.toBinary(Stop.INSTANCE);
    byte[] renamed = replaceAscii(stop, "KryoSerializerTest", "KryoSerializerTesX");
    JunctionSerializationException unknown =
        assertThrows(JunctionSerializationException.class, () -> kryo.fromBinary(renamed));
    assertTrue(unknown.getMessage().contains("KryoSerializerTesX"), unknown.getMessage());

    // A class that is not a Junction message is refused before anything is built.
    Kryo plain = new Kryo();
    plain.setRegistrationRequired(false);
    Output out = new Output(64, -1);
    plain.writeClassAndObject(out, new StringBuilder("not a message"));
    JunctionSerializationException other =
        assertThrows(JunctionSerializationException.class, () -> kryo.fromBinary(out.toBytes()));
    assertEquals(StringBuilder.class.getName(), other.messageClass());
  }

  @Test
  void unmodifiableWrappersAreRefusedWhenWrittenWithAnAdvice() throws Exception {
    Serializer kryo = serialization.serializerFor(Wrapped.class);
    JunctionSerializationException e =
        assertThrows(
            JunctionSerializationException.class,
            () -> kryo.toBinary(new Wrapped(Collections.unmodifiableList(new ArrayList<>(List.of("a"))))));
    assertEquals(Wrapped.class.getName(), e.messageClass());
    assertTrue(e.getMessage().contains("List.copyOf"), e.getMessage());
    // The serializer is still usable afterwards, and the advised form works.
    assertSameContent(new Wrapped(List.of("a")), roundTrip(new Wrapped(List.copyOf(List.of("a")))));
  }

  @Test
  void manyThreadsShareTheSerializer() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 200; i++) {
                    Sample sample =
                        i % 50 == 0
                            ? samples.get(0)
                            : new Put("k" + thread + "/" + i, random(i * 10, i), null, Optional.empty(), probe.getRef());
                    assertSameContent(sample, roundTrip(sample));
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static byte[] replaceAscii(byte[] bytes, String from, String to) {
    byte[] f = from.getBytes(StandardCharsets.US_ASCII);
    byte[] t = to.getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i + f.length <= bytes.length; i++) {
      if (Arrays.equals(bytes, i, i + f.length, f, 0, f.length)) {
        byte[] copy = bytes.clone();
        System.arraycopy(t, 0, copy, i, t.length);
        return copy;
      }
    }
    throw new AssertionError(from + " not found in the serialized bytes");
  }
}
