package dev.junction.chain.serialization;

/** Marks a Junction cluster message: Pekko serializes it with Junction's Kryo serializer. */
public interface JunctionSerializable {}
