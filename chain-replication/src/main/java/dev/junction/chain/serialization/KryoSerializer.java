package dev.junction.chain.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.DefaultSerializers;
import com.esotericsoftware.kryo.serializers.ImmutableCollectionsSerializers;
import com.esotericsoftware.kryo.util.DefaultInstantiatorStrategy;
import com.esotericsoftware.kryo.util.Pool;
import java.util.UUID;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.JSerializer;
import org.apache.pekko.serialization.Serialization;
import org.objenesis.strategy.StdInstantiatorStrategy;

/**
 * Pekko serializer for every {@link JunctionSerializable} message, on Kryo 5.
 *
 * <p><b>Why Kryo.</b> Java serialization is off in Junction: it is slow and bulky, and deserializing
 * arbitrary classes from the network is a well-known attack surface. Protobuf or Jackson would need a
 * schema or annotations for every message. Kryo writes the class name and then the fields, so the
 * records Junction's messages are made of need no hand-written format: byte arrays, nested records,
 * enums, {@code Optional}, the immutable {@code List.of}/{@code List.copyOf} collections and sealed
 * hierarchies all work as they are ({@code RecordSerializer} calls the canonical constructor, so a
 * record's checks run on arrival too). The bytes are compact, and a value's {@code byte[]} is copied
 * once, not re-encoded. What it costs: the format is the classes themselves, so it is for messages
 * between nodes running the same build, not for data kept across versions (the one durable use, the
 * routing table in Distributed Data's durable store, holds plain records that change rarely; changing
 * them is a cluster-wide migration).
 *
 * <p><b>Actor references.</b> A typed {@link ActorRef} travels as its full serialized path
 * ({@link ActorRefResolver#toSerializationFormat}, which includes this node's address) and is resolved
 * on arrival with {@link ActorRefResolver#resolveActorRef}, so a {@code replyTo} in a message works from
 * any node. Classic {@link org.apache.pekko.actor.ActorRef}s go the same way through {@link
 * Serialization#serializedActorPath} and the actor-ref provider. Both are Kryo default serializers for
 * every subclass, whatever the concrete (internal) ref class is.
 *
 * <p><b>What a message must do</b> is written on {@link JunctionSerializable}: implement it, and be a
 * record (or an enum, or a class Kryo can instantiate and fill) holding values Kryo can read back.
 * Kryo is set up with registration not required (no class ids to keep in step between nodes) and
 * references off (messages are trees: a value shared twice is written twice; a cycle overflows the
 * stack). The outermost class must implement {@link JunctionSerializable}, on writing and on reading:
 * bytes naming any other class are refused before anything is instantiated.
 *
 * <p><b>Threads.</b> Pekko calls a serializer from many threads at once; Kryo instances and their
 * buffers are not thread-safe, so {@code Kryo}, {@link Output} and {@link Input} instances are pooled.
 * An output buffer grows up to {@link #MAX_MESSAGE_BYTES}; one that grew past {@link
 * #RETAINED_BUFFER_BYTES} is replaced by a small one before it goes back to the pool. (Artery's frame
 * size in {@code reference.conf} is the tighter limit for messages that cross the network.)
 *
 * <p>Failures raise {@link JunctionSerializationException}, naming the message class.
 */
public final class KryoSerializer extends JSerializer {
  /** Fixed for the lifetime of the format (Pekko reserves 0 to 40). */
  public static final int IDENTIFIER = 4242;

  /** The largest serialized message; Kryo fails a larger one with a buffer overflow. */
  public static final int MAX_MESSAGE_BYTES = 64 << 20;

  /** Output buffers up to this size go back to the pool as they are (a 1 MiB value grows one to 2 MiB). */
  static final int RETAINED_BUFFER_BYTES = 4 << 20;

  private static final int INITIAL_BUFFER_BYTES = 8 << 10;
  private static final int POOL_CAPACITY = 32;
  private static final byte[] NO_BYTES = new byte[0];

  /** JDK wrappers that Kryo writes but cannot read back (its collection serializer calls {@code add}). */
  private static final String[] UNREADABLE_WRAPPERS = {
    "java.util.Collections$UnmodifiableCollection", "java.util.Collections$UnmodifiableMap"
  };

  private final ExtendedActorSystem system;
  private volatile ActorRefResolver resolver;
  private final Pool<Kryo> kryos;
  private final Pool<Output> outputs;
  private final Pool<Input> inputs;

  /** Called by Pekko's serialization extension, once per actor system. */
  public KryoSerializer(ExtendedActorSystem system) {
    this.system = system;
    this.kryos =
        new Pool<>(true, false, POOL_CAPACITY) {
          @Override
          protected Kryo create() {
            return newKryo();
          }
        };
    this.outputs =
        new Pool<>(true, true, POOL_CAPACITY) {
          @Override
          protected Output create() {
            return new Output(INITIAL_BUFFER_BYTES, MAX_MESSAGE_BYTES);
          }
        };
    this.inputs =
        new Pool<>(true, true, POOL_CAPACITY) {
          @Override
          protected Input create() {
            return new Input();
          }
        };
  }

  private Kryo newKryo() {
    Kryo kryo = new Kryo();
    kryo.setClassLoader(system.dynamicAccess().classLoader());
    kryo.setRegistrationRequired(false);
    kryo.setReferences(false);
    // No-arg constructors when there are some, Objenesis otherwise (records use their canonical constructor).
    kryo.setInstantiatorStrategy(new DefaultInstantiatorStrategy(new StdInstantiatorStrategy()));
    // Kryo 5.6's constructor already adds RecordSerializer, the Optional serializers and these; kept
    // explicit because List.of/List.copyOf lists are what Junction's records hold.
    ImmutableCollectionsSerializers.addDefaultSerializers(kryo);
    // Not a Kryo default; its field serializer would need --add-opens java.base/java.util.
    kryo.addDefaultSerializer(UUID.class, new DefaultSerializers.UUIDSerializer());
    for (String name : UNREADABLE_WRAPPERS) {
      try {
        kryo.addDefaultSerializer(Class.forName(name), new UnreadableWrapperSerializer());
      } catch (ClassNotFoundException e) {
        // A JDK without this wrapper class: nothing to refuse.
      }
    }
    kryo.addDefaultSerializer(ActorRef.class, new TypedActorRefSerializer(this));
    kryo.addDefaultSerializer(org.apache.pekko.actor.ActorRef.class, new ClassicActorRefSerializer(system));
    return kryo;
  }

  /** Resolved on first use: the serializer is built while the actor system starts. */
  ActorRefResolver resolver() {
    ActorRefResolver r = resolver;
    if (r == null) {
      r = ActorRefResolver.get(Adapter.toTyped(system));
      resolver = r;
    }
    return r;
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  /** Kryo writes the class itself. */
  @Override
  public boolean includeManifest() {
    return false;
  }

  @Override
  public byte[] toBinary(Object message) {
    String name = message == null ? "null" : message.getClass().getName();
    if (!(message instanceof JunctionSerializable)) {
      throw new JunctionSerializationException(
          name, "cannot serialize " + name + ": it does not implement " + JunctionSerializable.class.getName(), null);
    }
    Kryo kryo = kryos.obtain();
    Output output = outputs.obtain();
    boolean kryoClean = false;
    try {
      output.reset();
      kryo.writeClassAndObject(output, message);
      byte[] bytes = output.toBytes();
      kryoClean = true;
      return bytes;
    } catch (RuntimeException | StackOverflowError e) {
      throw new JunctionSerializationException(name, "cannot serialize " + name + ": " + reason(e), e);
    } finally {
      if (output.getBuffer().length > RETAINED_BUFFER_BYTES) {
        output.setBuffer(new byte[INITIAL_BUFFER_BYTES], MAX_MESSAGE_BYTES);
      }
      outputs.free(output);
      if (kryoClean) {
        kryos.free(kryo); // a Kryo that failed half-way is dropped, not reused
      }
    }
  }

  @Override
  public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
    Kryo kryo = kryos.obtain();
    Input input = inputs.obtain();
    boolean kryoClean = false;
    String name = null;
    try {
      input.setBuffer(bytes);
      Registration registration = kryo.readClass(input);
      if (registration == null) {
        throw new JunctionSerializationException(null, "cannot deserialize a Junction message: the bytes hold null", null);
      }
      Class<?> type = registration.getType();
      name = type.getName();
      if (!JunctionSerializable.class.isAssignableFrom(type)) {
        throw new JunctionSerializationException(
            name, "refusing to deserialize " + name + ": it does not implement " + JunctionSerializable.class.getName(), null);
      }
      Object message = kryo.readObject(input, type);
      if (input.position() != bytes.length) {
        throw new JunctionSerializationException(
            name,
            "cannot deserialize " + name + ": " + (bytes.length - input.position())
                + " bytes left after the message (written by a different version of the class?)",
            null);
      }
      kryoClean = true;
      return message;
    } catch (JunctionSerializationException e) {
      throw e;
    } catch (RuntimeException | StackOverflowError e) {
      String what = name == null ? "a Junction message (its class could not be read)" : name;
      throw new JunctionSerializationException(
          name, "cannot deserialize " + what + " from " + bytes.length + " bytes: " + reason(e), e);
    } finally {
      input.setBuffer(NO_BYTES); // do not keep the message's bytes alive in the pool
      inputs.free(input);
      if (kryoClean) {
        kryos.free(kryo);
      }
    }
  }

  private static String reason(Throwable e) {
    return e.getMessage() == null ? e.getClass().getName() : e.getMessage();
  }

  /** A typed actor ref as its full serialized path, resolved on arrival. */
  private static final class TypedActorRefSerializer extends Serializer<ActorRef<?>> {
    private final KryoSerializer owner;

    TypedActorRefSerializer(KryoSerializer owner) {
      super(false, true);
      this.owner = owner;
    }

    @Override
    public void write(Kryo kryo, Output output, ActorRef<?> ref) {
      output.writeString(owner.resolver().toSerializationFormat(ref));
    }

    @Override
    public ActorRef<?> read(Kryo kryo, Input input, Class<? extends ActorRef<?>> type) {
      return owner.resolver().resolveActorRef(input.readString());
    }
  }

  /** A classic actor ref as its full serialized path, resolved on arrival. */
  private static final class ClassicActorRefSerializer extends Serializer<org.apache.pekko.actor.ActorRef> {
    private final ExtendedActorSystem system;

    ClassicActorRefSerializer(ExtendedActorSystem system) {
      super(false, true);
      this.system = system;
    }

    @Override
    public void write(Kryo kryo, Output output, org.apache.pekko.actor.ActorRef ref) {
      output.writeString(Serialization.serializedActorPath(ref));
    }

    @Override
    public org.apache.pekko.actor.ActorRef read(
        Kryo kryo, Input input, Class<? extends org.apache.pekko.actor.ActorRef> type) {
      return system.provider().resolveActorRef(input.readString());
    }
  }

  /**
   * Refuses {@code Collections.unmodifiable*} wrappers when a message is written, instead of letting the
   * receiving node fail to read it.
   */
  private static final class UnreadableWrapperSerializer extends Serializer<Object> {
    @Override
    public void write(Kryo kryo, Output output, Object value) {
      throw new KryoException(
          value.getClass().getName() + " cannot be read back by Kryo: use List.copyOf, Set.copyOf or Map.copyOf");
    }

    @Override
    public Object read(Kryo kryo, Input input, Class<? extends Object> type) {
      throw new KryoException(type.getName() + " cannot be read by Kryo");
    }
  }
}
