package dev.junction.store;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * How user keys become LMDB keys. LMDB (as built into LMDB-Java) takes keys of at most 511 bytes, Junction
 * up to 4 KiB. A key of at most {@link #INLINE_MAX} bytes is stored as is. A longer key is stored as its
 * first {@code INLINE_MAX} bytes followed by the SHA-256 digest of the whole key, and the whole key is kept
 * in the value. This keeps the store's order equal to the keys' order everywhere except among long keys that
 * share their first {@code INLINE_MAX} bytes (a "group"): those sit together, in digest order, and readers
 * that need key order sort each group ({@link RangeIterator}).
 *
 * <p>Why the order holds: a stored key is never longer than the key it stands for, and a short key that
 * shares the whole prefix of a long key is exactly that prefix, which sorts before every key of the group
 * in both orders.
 *
 * <p>Stored value layout: {@code seq (8 bytes, big-endian)}, then for a long key
 * {@code key length (4 bytes) + key}, then the value bytes.
 */
final class KeyCodec {
  static final int DIGEST_BYTES = 32;
  /** LMDB's compiled-in key limit (MDB_MAXKEYSIZE) in the bundled native library. */
  static final int LMDB_MAX_KEY = 511;
  static final int INLINE_MAX = LMDB_MAX_KEY - DIGEST_BYTES;

  private static final ThreadLocal<MessageDigest> SHA256 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException("the JDK has no SHA-256", e);
            }
          });

  private KeyCodec() {}

  static boolean isLong(byte[] key) {
    return key.length > INLINE_MAX;
  }

  /** True when a stored LMDB key stands for a long user key (whose full bytes are in the value). */
  static boolean isLongStored(int storedLength) {
    return storedLength > INLINE_MAX;
  }

  /** Writes the stored form of {@code key} into {@code out} (cleared first) and flips it for reading. */
  static void encode(byte[] key, ByteBuffer out) {
    out.clear();
    if (!isLong(key)) {
      out.put(key);
    } else {
      out.put(key, 0, INLINE_MAX);
      out.put(SHA256.get().digest(key));
    }
    out.flip();
  }

  /** The stored form of {@code key} as a byte array. */
  static byte[] encode(byte[] key) {
    if (!isLong(key)) {
      return key;
    }
    byte[] out = Arrays.copyOf(key, LMDB_MAX_KEY);
    System.arraycopy(SHA256.get().digest(key), 0, out, INLINE_MAX, DIGEST_BYTES);
    return out;
  }

  /** Where a scan from {@code from} must start in stored order: the key, or a long key's prefix. */
  static byte[] seekKey(byte[] from) {
    return isLong(from) ? Arrays.copyOf(from, INLINE_MAX) : from;
  }

  /**
   * True when no stored key at or after {@code stored} can stand for a user key below {@code to} (a
   * non-empty exclusive upper bound).
   */
  static boolean pastEnd(byte[] stored, byte[] to) {
    if (!isLong(to)) {
      return Arrays.compareUnsigned(stored, to) >= 0;
    }
    int n = Math.min(stored.length, INLINE_MAX);
    return Arrays.compareUnsigned(stored, 0, n, to, 0, INLINE_MAX) > 0;
  }

  /** The size of a stored value for a key and value of these lengths. */
  static int storedValueSize(byte[] key, int valueLength) {
    return 8 + (isLong(key) ? 4 + key.length : 0) + valueLength;
  }

  /** Writes a stored value: sequence number, the key itself if long, then the value. */
  static void writeValue(ByteBuffer dst, byte[] key, byte[] value, long seq) {
    dst.putLong(0, seq);
    int pos = 8;
    if (isLong(key)) {
      dst.putInt(pos, key.length);
      dst.put(pos + 4, key);
      pos += 4 + key.length;
    }
    dst.put(pos, value);
  }

  /** The user key of an entry: the stored key itself, or the full key kept in a long key's value. */
  static byte[] userKey(byte[] stored, ByteBuffer value) {
    if (!isLongStored(stored.length)) {
      return stored;
    }
    byte[] key = new byte[value.getInt(value.position() + 8)];
    value.get(value.position() + 12, key);
    return key;
  }

  static long seq(ByteBuffer value) {
    return value.getLong(value.position());
  }

  /** The value bytes of an entry stored under a key of the given stored length. */
  static byte[] value(int storedKeyLength, ByteBuffer value) {
    int start = value.position() + 8;
    if (isLongStored(storedKeyLength)) {
      start += 4 + value.getInt(start);
    }
    byte[] out = new byte[value.limit() - start];
    value.get(start, out);
    return out;
  }

  /**
   * For a long key found under its stored form: true when the value really belongs to {@code key}. False
   * would mean two keys with the same prefix and the same SHA-256 digest.
   */
  static boolean ownsValue(byte[] key, ByteBuffer value) {
    if (!isLong(key)) {
      return true;
    }
    int pos = value.position() + 8;
    if (value.getInt(pos) != key.length) {
      return false;
    }
    return value.slice(pos + 4, key.length).equals(ByteBuffer.wrap(key));
  }
}
