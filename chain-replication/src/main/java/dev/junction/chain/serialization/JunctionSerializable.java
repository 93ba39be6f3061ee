package dev.junction.chain.serialization;

/**
 * Marks a Junction cluster message: Pekko serializes it with {@link KryoSerializer} (bound in this
 * module's {@code reference.conf}). Java serialization is off, so a message that crosses the network and
 * does not implement this interface is refused when it is sent.
 *
 * <p>What a message class must do:
 *
 * <ul>
 *   <li>Implement this interface, usually through its behaviour's sealed {@code Command} or {@code Reply}
 *       interface. Only the outermost message needs it: the values it carries (records of the core,
 *       store types) travel inside it. Do not also implement {@link java.io.Serializable}: the message
 *       then matches two serializer bindings and Pekko logs a warning on every use.
 *   <li>Be a record (the usual shape: Kryo calls the canonical constructor, so its checks run on the
 *       receiving side too), an enum (field-less messages as singletons), or a class Kryo can build and
 *       fill field by field. Records need no public constructor; nothing needs {@code Serializable}.
 *   <li>Carry values Kryo reads back: primitives, strings, {@code byte[]}, other records, enums,
 *       {@code Optional}, {@code UUID}, {@code java.time} values, {@code ArrayList}/{@code HashMap}, and
 *       the immutable {@code List.of}/{@code List.copyOf}/{@code Map.of}/{@code Set.of} collections.
 *       Not {@code Collections.unmodifiableList}/{@code unmodifiableMap} and the like (refused on write:
 *       use {@code List.copyOf}), not {@code subList} views, not {@code ByteBuffer}, not
 *       {@code Stream.toList()} results holding nulls, and not JDK-internal classes without a Kryo
 *       serializer (reading their fields needs {@code --add-opens}, which the launch scripts do not pass
 *       for them).
 *   <li>Carry actor references as Pekko {@code ActorRef}s (typed or classic), never as path strings of
 *       its own making: the serializer writes them as full remote paths and resolves them on arrival.
 * </ul>
 *
 * <p>Add a sample of every new message to a round-trip test (see the sealed-hierarchy walk in the sharding
 * module's {@code MessageSerializationTest}): a message that does not round-trip is dropped by the
 * receiving node, not by the sender.
 */
public interface JunctionSerializable {}
