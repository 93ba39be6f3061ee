package dev.junction.chain.serialization;

import dev.junction.chain.core.LogCodec;
import dev.junction.chain.core.PeerCodec;
import dev.junction.chain.replica.ChainLink;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.serialization.JSerializer;

/**
 * The serializer of {@link ChainLink.Batch}, the chain traffic between two nodes, in a compact binary
 * form of Junction's own (no class names, no reflection): a format byte, the item count, then per item
 * the range id, the receiving slot and the message in {@link PeerCodec}'s format. Every write crosses the
 * cluster in these, twice.
 */
public final class ChainBatchSerializer extends JSerializer {
  /** Fixed for the lifetime of the format (Pekko reserves 0 to 40; Kryo's is 4242). */
  public static final int IDENTIFIER = 4243;

  private static final byte FORMAT = 1;

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
    if (!(o instanceof ChainLink.Batch batch)) {
      throw new JunctionSerializationException(o == null ? "null" : o.getClass().getName(),
          "the chain batch serializer only writes " + ChainLink.Batch.class.getName(), null);
    }
    return encode(batch.items(), 0);
  }

  /**
   * The batch of {@code items} in this format, after {@code reserved} bytes left zero for the caller (a
   * frame header).
   */
  public static byte[] encode(List<ChainLink.Item> items, int reserved) {
    try {
      // Sized first, written once: a growing stream copied every forward of 1 KB values several times.
      int size = reserved + 1 + 4;
      for (ChainLink.Item item : items) {
        size += 8 + 4 + PeerCodec.size(item.message());
      }
      byte[] bytes = new byte[size];
      LogCodec.ArrayOutput array = new LogCodec.ArrayOutput(bytes, reserved);
      try (DataOutputStream out = new DataOutputStream(array)) {
        out.writeByte(FORMAT);
        out.writeInt(items.size());
        for (ChainLink.Item item : items) {
          out.writeLong(item.rangeId());
          out.writeInt(item.toSlot());
          PeerCodec.write(out, item.message());
        }
      }
      array.requireFilled();
      return bytes;
    } catch (IOException | RuntimeException e) {
      throw new JunctionSerializationException(ChainLink.Batch.class.getName(),
          "cannot serialize a chain batch: " + e, e);
    }
  }

  @Override
  public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
    return new ChainLink.Batch(decode(bytes, 0, bytes.length));
  }

  /** The items of the batch in {@code bytes[offset, offset + length)}. */
  public static List<ChainLink.Item> decode(byte[] bytes, int offset, int length) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, offset, length))) {
      byte format = in.readByte();
      if (format != FORMAT) {
        throw new IOException("chain batch in unknown format " + format);
      }
      int n = in.readInt();
      if (n < 0 || n > length) {
        throw new IOException("implausible item count " + n);
      }
      List<ChainLink.Item> items = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        items.add(new ChainLink.Item(in.readLong(), in.readInt(), PeerCodec.read(in)));
      }
      if (in.available() != 0) {
        throw new IOException(in.available() + " bytes left after the batch");
      }
      return items;
    } catch (IOException | RuntimeException e) {
      throw new JunctionSerializationException(ChainLink.Batch.class.getName(),
          "cannot deserialize a chain batch of " + length + " bytes: " + e, e);
    }
  }
}
