package dev.junction.chain.core;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A compact binary form of {@link PeerMessage}s, for the chain traffic between nodes (every write
 * crosses the cluster in these): a kind byte, the epoch and sender slot, then the message's fields;
 * entries in {@link LogCodec}'s format. Pure: the transport frames and batches them.
 */
public final class PeerCodec {
  private static final byte FORWARD = 1;
  private static final byte DURABLE = 2;
  private static final byte ACK = 3;
  private static final byte HELLO = 4;
  private static final byte WELCOME = 5;
  private static final byte EPOCH_NOTICE = 6;
  private static final byte PROBE = 7;
  private static final byte HOLDING = 8;
  private static final byte FETCH = 9;
  private static final byte BACKFILL = 10;
  private static final byte FOLLOW = 11;

  private PeerCodec() {}

  /** The number of bytes {@link #write} writes for {@code m}. */
  public static int size(PeerMessage m) {
    int head = 1 + 8 + 4;
    if (m instanceof PeerMessage.Forward f) {
      return head + entriesSize(f.entries());
    } else if (m instanceof PeerMessage.Backfill b) {
      return head + entriesSize(b.entries());
    } else if (m instanceof PeerMessage.EpochNotice || m instanceof PeerMessage.Probe) {
      return head;
    } else if (m instanceof PeerMessage.Fetch) {
      return head + 16;
    } else if (m instanceof PeerMessage.Follow f) {
      return head + 8 + 4 + f.node().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    } else if (m instanceof PeerMessage.Durable || m instanceof PeerMessage.Ack || m instanceof PeerMessage.Hello
        || m instanceof PeerMessage.Welcome || m instanceof PeerMessage.Holding) {
      return head + 8; // one sequence number
    }
    throw new IllegalArgumentException("no size for chain message " + m.getClass().getName());
  }

  private static int entriesSize(List<LogEntry> entries) {
    int n = 4;
    for (LogEntry e : entries) {
      n += LogCodec.size(e);
    }
    return n;
  }

  public static void write(DataOutput out, PeerMessage m) throws IOException {
    if (m instanceof PeerMessage.Forward f) {
      head(out, FORWARD, m);
      entries(out, f.entries());
    } else if (m instanceof PeerMessage.Durable d) {
      head(out, DURABLE, m);
      out.writeLong(d.upToSeq());
    } else if (m instanceof PeerMessage.Ack a) {
      head(out, ACK, m);
      out.writeLong(a.upToSeq());
    } else if (m instanceof PeerMessage.Hello h) {
      head(out, HELLO, m);
      out.writeLong(h.lastReceived());
    } else if (m instanceof PeerMessage.Welcome w) {
      head(out, WELCOME, m);
      out.writeLong(w.upToSeq());
    } else if (m instanceof PeerMessage.EpochNotice) {
      head(out, EPOCH_NOTICE, m);
    } else if (m instanceof PeerMessage.Probe) {
      head(out, PROBE, m);
    } else if (m instanceof PeerMessage.Holding h) {
      head(out, HOLDING, m);
      out.writeLong(h.lastReceived());
    } else if (m instanceof PeerMessage.Fetch f) {
      head(out, FETCH, m);
      out.writeLong(f.fromSeq());
      out.writeLong(f.toSeq());
    } else if (m instanceof PeerMessage.Follow f) {
      head(out, FOLLOW, m);
      out.writeLong(f.lastHeld());
      byte[] node = f.node().getBytes(java.nio.charset.StandardCharsets.UTF_8);
      out.writeInt(node.length);
      out.write(node);
    } else {
      PeerMessage.Backfill b = (PeerMessage.Backfill) m;
      head(out, BACKFILL, m);
      entries(out, b.entries());
    }
  }

  public static PeerMessage read(DataInput in) throws IOException {
    byte kind = in.readByte();
    long epoch = in.readLong();
    int from = in.readInt();
    return switch (kind) {
      case FORWARD -> new PeerMessage.Forward(epoch, from, entries(in));
      case DURABLE -> new PeerMessage.Durable(epoch, from, in.readLong());
      case ACK -> new PeerMessage.Ack(epoch, from, in.readLong());
      case HELLO -> new PeerMessage.Hello(epoch, from, in.readLong());
      case WELCOME -> new PeerMessage.Welcome(epoch, from, in.readLong());
      case EPOCH_NOTICE -> new PeerMessage.EpochNotice(epoch, from);
      case PROBE -> new PeerMessage.Probe(epoch, from);
      case HOLDING -> new PeerMessage.Holding(epoch, from, in.readLong());
      case FETCH -> new PeerMessage.Fetch(epoch, from, in.readLong(), in.readLong());
      case BACKFILL -> new PeerMessage.Backfill(epoch, from, entries(in));
      case FOLLOW -> new PeerMessage.Follow(epoch, from, in.readLong(), node(in));
      default -> throw new IOException("unknown chain message kind " + kind);
    };
  }

  private static String node(DataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 1 << 12) {
      throw new IOException("implausible node name length " + n);
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return new String(b, java.nio.charset.StandardCharsets.UTF_8);
  }

  private static void head(DataOutput out, byte kind, PeerMessage m) throws IOException {
    out.writeByte(kind);
    out.writeLong(m.epoch());
    out.writeInt(m.fromSlot());
  }

  private static void entries(DataOutput out, List<LogEntry> entries) throws IOException {
    out.writeInt(entries.size());
    for (LogEntry e : entries) {
      LogCodec.write(out, e);
    }
  }

  private static List<LogEntry> entries(DataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 1 << 20) {
      throw new IOException("implausible entry count " + n);
    }
    List<LogEntry> entries = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      entries.add(LogCodec.read(in));
    }
    return entries;
  }
}
