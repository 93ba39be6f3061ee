package dev.junction.chain.core;

import dev.junction.store.Versioned;
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

  /**
   * {@code e} in this format, in an array of exactly {@link #size}: one allocation (a growing stream
   * copied a 1 KB value's entry five times, the largest share of a node's allocations under writes).
   */
  public static byte[] encode(LogEntry e) {
    byte[] bytes = new byte[size(e)];
    ArrayOutput array = new ArrayOutput(bytes, 0);
    try (DataOutputStream out = new DataOutputStream(array)) {
      write(out, e);
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    array.requireFilled();
    return bytes;
  }

  /** The number of bytes {@link #write} writes for {@code e}. */
  public static int size(LogEntry e) {
    int n = 1 + 8 + 1; // format, seq, kind
    Mutation m = e.mutation();
    if (m instanceof Mutation.Set set) {
      n += bytes(set.key()) + bytes(set.value());
    } else if (m instanceof Mutation.Remove rm) {
      n += bytes(rm.key());
    } else if (m instanceof Mutation.CasApplied ca) {
      n += bytes(ca.key()) + bytes(ca.value());
    } else if (m instanceof Mutation.Split sp) {
      n += bytes(sp.key()) + 16;
    } else if (m instanceof Mutation.Seal seal) {
      n += bytes(seal.key()) + 8;
    } else if (m instanceof Mutation.MergeInto mi) {
      n += bytes(mi.key()) + 16 + bytes(mi.leftStart()) + 4;
      for (Replica r : mi.leftChain()) {
        n += 4 + utf(r.node());
      }
    } else {
      Mutation.CasRejected cr = (Mutation.CasRejected) m;
      n += bytes(cr.key()) + 1;
      if (cr.observed() != null) {
        n += bytes(cr.observed().value()) + 8;
      }
    }
    n += 1;
    if (e.origin() != null) {
      n += utf(e.origin().clientId()) + 8;
    }
    return n;
  }

  private static int bytes(byte[] b) {
    return 4 + b.length;
  }

  /** The length of {@link java.io.DataOutput#writeUTF}'s output: 2, then modified UTF-8. */
  private static int utf(String s) {
    int n = 2;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      n += c >= 0x0001 && c <= 0x007F ? 1 : c <= 0x07FF ? 2 : 3;
    }
    return n;
  }

  /**
   * An output stream into a given array from an offset, which refuses to write past its end: the callers
   * size the array with {@link #size} first, so running out is a bug of that size.
   */
  public static final class ArrayOutput extends java.io.OutputStream {
    private final byte[] array;
    private int position;

    public ArrayOutput(byte[] array, int offset) {
      this.array = array;
      this.position = offset;
    }

    @Override
    public void write(int b) {
      if (position >= array.length) {
        throw new IllegalStateException("encoded size underestimated: " + array.length + " bytes");
      }
      array[position++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      if (len > array.length - position) {
        throw new IllegalStateException("encoded size underestimated: " + array.length + " bytes");
      }
      System.arraycopy(b, off, array, position, len);
      position += len;
    }

    /** Where the next byte goes. */
    public int position() {
      return position;
    }

    /** Fails unless the array was written to its end: a size larger than what was written is a bug too. */
    public void requireFilled() {
      if (position != array.length) {
        throw new IllegalStateException("encoded size overestimated: " + position + " of " + array.length + " bytes");
      }
    }
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
