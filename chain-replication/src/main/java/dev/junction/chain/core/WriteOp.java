package dev.junction.chain.core;

/** A client write, as it reaches the head of a chain (keys and values already checked). */
public sealed interface WriteOp {
  byte[] key();

  /** Sets {@code key} to {@code value}. */
  record Put(byte[] key, byte[] value) implements WriteOp {}

  /** Removes {@code key}. */
  record Delete(byte[] key) implements WriteOp {}

  /** Sets {@code key} to {@code newValue} if it holds {@code expected} (or is absent, when null). */
  record Cas(byte[] key, byte[] expected, byte[] newValue) implements WriteOp {}

  /**
   * Sets {@code key} to {@code newValue} if its value still carries sequence number {@code expectedSeq}
   * (the {@code seq} a read returned): a read-modify-write need not send the old value back.
   */
  record CasSeq(byte[] key, long expectedSeq, byte[] newValue) implements WriteOp {
    public CasSeq {
      if (expectedSeq <= 0) {
        throw new IllegalArgumentException("an expected sequence number is positive, not " + expectedSeq);
      }
    }
  }
}
