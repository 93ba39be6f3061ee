package dev.junction.chain.serialization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Messages over a real Artery TCP connection between two actor systems in this JVM, with this module's
 * {@code reference.conf} (Kryo binding, Java serialization off, 3 MiB frames): system A looks B's echo
 * actor up by its remote path, sends a message carrying a 1 MiB value and a reply ref, and gets the same
 * bytes back from B. {@code serialize-messages} is off: the copies come from the wire.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RemoteRoundTripTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  /** What A sends: a value (and, for a compare-and-set, the value it expects) and where to answer. */
  record Echo(long id, byte[] key, byte[] expected, byte[] value, ActorRef<Echoed> replyTo)
      implements JunctionSerializable {}

  /** What B answers: the same bytes, the address of the node that handled it, and B's own ref. */
  record Echoed(long id, byte[] key, byte[] expected, byte[] value, String handledBy, ActorRef<Echo> echo)
      implements JunctionSerializable {}

  private ActorTestKit a;
  private ActorTestKit b;
  private ActorRef<Echo> echoOnB;

  private static Config config() {
    return ConfigFactory.parseString(
            """
            pekko.actor.provider = cluster
            pekko.remote.artery.transport = tcp
            pekko.remote.artery.canonical.hostname = 127.0.0.1
            pekko.remote.artery.canonical.port = 0
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            pekko.actor.serialize-messages = off
            """)
        .withFallback(ConfigFactory.load());
  }

  private static Behavior<Echo> echo() {
    return Behaviors.setup(
        context ->
            Behaviors.receive(Echo.class)
                .onMessage(
                    Echo.class,
                    m -> {
                      m.replyTo()
                          .tell(
                              new Echoed(
                                  m.id(),
                                  m.key(),
                                  m.expected(),
                                  m.value(),
                                  context.getSystem().address().toString(),
                                  context.getSelf()));
                      return Behaviors.same();
                    })
                .build());
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  @BeforeAll
  void start() {
    a = ActorTestKit.create("junction-a", config());
    b = ActorTestKit.create("junction-b", config());
    b.spawn(echo(), "echo");
    Address addressOfB = b.system().address();
    assertTrue(addressOfB.port().isDefined() && (int) addressOfB.port().get() > 0, "B listens: " + addressOfB);
    assertNotEquals(a.system().address(), addressOfB);
    // Looked up on A by its remote path: a ref that can only be reached over Artery.
    echoOnB = ActorRefResolver.get(a.system()).resolveActorRef(addressOfB + "/user/echo");
  }

  @AfterAll
  void stop() {
    try {
      a.shutdownTestKit();
    } finally {
      b.shutdownTestKit();
    }
  }

  @Test
  void aOneMebibyteValueAndAReplyRefCrossTheWireAndBack() throws Exception {
    byte[] value = random(1 << 20, 11);
    Echoed echoed =
        AskPattern.<Echo, Echoed>ask(
                echoOnB, replyTo -> new Echo(1, new byte[] {'k'}, null, value, replyTo), WAIT, a.scheduler())
            .toCompletableFuture()
            .get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertEquals(1, echoed.id());
    assertArrayEquals(value, echoed.value());
    assertNotSame(value, echoed.value(), "the bytes were deserialized from the wire, not passed by reference");
    assertEquals(null, echoed.expected());
    assertEquals(b.system().address().toString(), echoed.handledBy());
    // A ref made on B arrives on A as a remote ref to B's actor, and works.
    assertEquals(b.system().address(), echoed.echo().path().address());
    TestProbe<Echoed> probe = a.createTestProbe();
    echoed.echo().tell(new Echo(2, new byte[] {'k'}, null, new byte[] {42}, probe.getRef()));
    Echoed again = probe.expectMessageClass(Echoed.class, WAIT);
    assertEquals(2, again.id());
    assertArrayEquals(new byte[] {42}, again.value());
  }

  @Test
  void theLargestJunctionWriteFitsInAFrame() {
    // A compare-and-set of a 1 MiB value expecting a 1 MiB value, on a key of the largest size (4 KiB).
    byte[] key = random(4096, 21);
    byte[] expected = random(1 << 20, 22);
    byte[] value = random(1 << 20, 23);
    TestProbe<Echoed> probe = a.createTestProbe();
    echoOnB.tell(new Echo(3, key, expected, value, probe.getRef()));
    Echoed echoed = probe.expectMessageClass(Echoed.class, WAIT);
    assertEquals(3, echoed.id());
    assertArrayEquals(key, echoed.key());
    assertArrayEquals(expected, echoed.expected());
    assertArrayEquals(value, echoed.value());
  }
}
