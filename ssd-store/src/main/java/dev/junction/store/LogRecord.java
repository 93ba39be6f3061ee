package dev.junction.store;

/** One record of a range's replication log: the sequence number and the encoded entry. */
public record LogRecord(long seq, byte[] entry) {}
