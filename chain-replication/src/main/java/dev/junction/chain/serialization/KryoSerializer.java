package dev.junction.chain.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.ImmutableCollectionsSerializers;
import com.esotericsoftware.kryo.util.DefaultInstantiatorStrategy;
import com.esotericsoftware.kryo.util.Pool;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.JSerializer;
import org.objenesis.strategy.StdInstantiatorStrategy;

/**
 * Pekko serializer for every {@link JunctionSerializable} message, on Kryo. Java serialization is off in
 * Junction (slow, and unsafe to accept from the network); Kryo writes the class name and the fields, so a
 * message needs no hand-written format: records (byte arrays, immutable lists, optionals, enums, nested
 * records) work as they are. Typed {@link ActorRef}s travel as their serialized path and are resolved
 * on arrival through {@link ActorRefResolver}. Kryo instances are not thread-safe, so they are pooled.
 *
 * <p>What travels between nodes of one cluster is written and read by the same build: this is not an
 * on-disk or cross-version format (the routing table's durable copy is the exception, and its classes
 * are plain records that change rarely; a format change there is a cluster-wide migration).
 */
public final class KryoSerializer extends JSerializer {
  /** Fixed for the lifetime of the format (Pekko reserves 0 to 40). */
  public static final int IDENTIFIER = 4242;

  private static final int MAX_BUFFER = 64 << 20;

  private final ActorRefResolver resolver;
  private final Pool<Kryo> kryos;
  private final Pool<Output> outputs;

  public KryoSerializer(ExtendedActorSystem system) {
    this.resolver = ActorRefResolver.get(Adapter.toTyped(system));
    this.kryos =
        new Pool<>(true, false, 64) {
          @Override
          protected Kryo create() {
            return newKryo();
          }
        };
    this.outputs =
        new Pool<>(true, false, 64) {
          @Override
          protected Output create() {
            return new Output(4096, MAX_BUFFER);
          }
        };
  }

  private Kryo newKryo() {
    Kryo kryo = new Kryo();
    kryo.setRegistrationRequired(false);
    kryo.setReferences(false);
    kryo.setInstantiatorStrategy(new DefaultInstantiatorStrategy(new StdInstantiatorStrategy()));
    ImmutableCollectionsSerializers.addDefaultSerializers(kryo);
    kryo.addDefaultSerializer(ActorRef.class, new TypedActorRefSerializer(resolver));
    return kryo;
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public boolean includeManifest() {
    return false;
  }

  @Override
  public byte[] toBinary(Object o) {
    Kryo kryo = kryos.obtain();
    Output out = outputs.obtain();
    try {
      out.reset();
      kryo.writeClassAndObject(out, o);
      return out.toBytes();
    } catch (KryoException e) {
      throw new IllegalArgumentException("cannot serialize " + o.getClass().getName() + ": " + e.getMessage(), e);
    } finally {
      outputs.free(out);
      kryos.free(kryo);
    }
  }

  @Override
  public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
    Kryo kryo = kryos.obtain();
    try {
      return kryo.readClassAndObject(new Input(bytes));
    } catch (KryoException e) {
      throw new IllegalArgumentException("cannot deserialize a Junction message: " + e.getMessage(), e);
    } finally {
      kryos.free(kryo);
    }
  }

  /** Typed actor refs as their full serialized path. */
  @SuppressWarnings("rawtypes")
  private static final class TypedActorRefSerializer extends Serializer<ActorRef> {
    private final ActorRefResolver resolver;

    TypedActorRefSerializer(ActorRefResolver resolver) {
      this.resolver = resolver;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void write(Kryo kryo, Output output, ActorRef ref) {
      output.writeString(resolver.toSerializationFormat(ref));
    }

    @Override
    public ActorRef read(Kryo kryo, Input input, Class<? extends ActorRef> type) {
      return resolver.resolveActorRef(input.readString());
    }
  }
}
