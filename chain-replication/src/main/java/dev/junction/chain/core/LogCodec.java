package dev.junction.chain.core;

import dev.junction.store.Versioned;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The on-disk form of a {@link LogEntry} in the store's replication log: a small, versioned binary format
 * of our own (no serializer classes, no Pekko types), so logs written by one build stay readable by the
 * next. The reply handle is not stored.
 *
 * <p>Layout: format byte (1), sequence number, mutation kind, key, then per kind the value or the observed
 * value (present flag, bytes, sequence number) or, for a range's ending, the new range ids (a split's two, a
 * seal's one; a merge's one, the left range's sequence number, start and chain), then the request id
 * (present flag, client id, number).
 */
public final class LogCodec {
  private static final byte FORMAT = 1;
  private static final byte SET = 1;
  private static final byte REMOVE = 2;
  private static final byte CAS_APPLIED = 3;
  private static final byte CAS_REJECTED = 4;
  private static final byte SPLIT = 5;
  private static final byte SEAL = 6;
  private static final byte MERGE_INTO = 7;

  private LogCodec() {}

  public static byte[] encode(LogEntry e) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + e.mutation().key().length);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      write(out, e);
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return bytes.toByteArray();
  }

  /** Writes {@code e} in this format (format byte included) to {@code out}. */
  public static void write(java.io.DataOutput out, LogEntry e) throws IOException {
    out.writeByte(FORMAT);
    out.writeLong(e.seq());
    Mutation m = e.mutation();
    if (m instanceof Mutation.Set set) {
      out.writeByte(SET);
      writeBytes(out, set.key());
      writeBytes(out, set.value());
    } else if (m instanceof Mutation.Remove rm) {
      out.writeByte(REMOVE);
      writeBytes(out, rm.key());
    } else if (m instanceof Mutation.CasApplied ca) {
      out.writeByte(CAS_APPLIED);
      writeBytes(out, ca.key());
      writeBytes(out, ca.value());
    } else if (m instanceof Mutation.Split sp) {
      out.writeByte(SPLIT);
      writeBytes(out, sp.key());
      out.writeLong(sp.leftId());
      out.writeLong(sp.rightId());
    } else if (m instanceof Mutation.Seal seal) {
      out.writeByte(SEAL);
      writeBytes(out, seal.key());
      out.writeLong(seal.intoId());
    } else if (m instanceof Mutation.MergeInto mi) {
      out.writeByte(MERGE_INTO);
      writeBytes(out, mi.key());
      out.writeLong(mi.intoId());
      out.writeLong(mi.leftSeq());
      writeBytes(out, mi.leftStart());
      out.writeInt(mi.leftChain().size());
      for (Replica r : mi.leftChain()) {
        out.writeInt(r.slot());
        out.writeUTF(r.node());
      }
    } else {
      Mutation.CasRejected cr = (Mutation.CasRejected) m;
      out.writeByte(CAS_REJECTED);
      writeBytes(out, cr.key());
      out.writeBoolean(cr.observed() != null);
      if (cr.observed() != null) {
        writeBytes(out, cr.observed().value());
        out.writeLong(cr.observed().seq());
      }
    }
    out.writeBoolean(e.origin() != null);
    if (e.origin() != null) {
      out.writeUTF(e.origin().clientId());
      out.writeLong(e.origin().requestId());
    }
  }

  public static LogEntry decode(byte[] data) {
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
      return read(in);
    } catch (IOException ex) {
      throw new IllegalArgumentException("truncated log entry", ex);
    }
  }

  /** Reads one entry written by {@link #write}. */
  public static LogEntry read(java.io.DataInput in) throws IOException {
    byte format = in.readByte();
    if (format != FORMAT) {
      throw new IllegalArgumentException("log entry in unknown format " + format);
    }
    long seq = in.readLong();
    byte kind = in.readByte();
    byte[] key = readBytes(in);
    Mutation m =
        switch (kind) {
          case SET -> new Mutation.Set(key, readBytes(in));
          case REMOVE -> new Mutation.Remove(key);
          case CAS_APPLIED -> new Mutation.CasApplied(key, readBytes(in));
          case CAS_REJECTED ->
              new Mutation.CasRejected(
                  key, in.readBoolean() ? new Versioned(readBytes(in), in.readLong()) : null);
          case SPLIT -> new Mutation.Split(key, in.readLong(), in.readLong());
          case SEAL -> new Mutation.Seal(key, in.readLong());
          case MERGE_INTO -> {
            long into = in.readLong();
            long leftSeq = in.readLong();
            byte[] leftStart = readBytes(in);
            int n = in.readInt();
            if (n < 0 || n > 1024) {
              throw new IOException("implausible chain length " + n);
            }
            java.util.List<Replica> chain = new java.util.ArrayList<>(n);
            for (int i = 0; i < n; i++) {
              chain.add(new Replica(in.readInt(), in.readUTF()));
            }
            yield new Mutation.MergeInto(key, into, leftSeq, leftStart, chain);
          }
          default -> throw new IllegalArgumentException("log entry of unknown kind " + kind);
        };
    RequestId origin = in.readBoolean() ? new RequestId(in.readUTF(), in.readLong()) : null;
    return new LogEntry(seq, m, origin);
  }

  private static void writeBytes(java.io.DataOutput out, byte[] b) throws IOException {
    out.writeInt(b.length);
    out.write(b);
  }

  private static byte[] readBytes(java.io.DataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > (2 << 20)) {
      throw new IOException("implausible length " + n);
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }
}
