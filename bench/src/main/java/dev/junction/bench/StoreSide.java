package dev.junction.bench;

import dev.junction.store.Durability;
import dev.junction.store.SsdStore;
import dev.junction.store.StoreSettings;
import dev.junction.store.StoreStats;
import dev.junction.store.Versioned;
import dev.junction.store.WriteBatch;
import java.nio.file.Path;

/** The {@code ssd-store} side: every operation goes through the store's public API. */
final class StoreSide implements KvSide {
  private final SsdStore store;

  private StoreSide(SsdStore store) {
    this.store = store;
  }

  /** Opens a new store in {@code dir} with a map of {@code mapSize} bytes (it may double once). */
  static StoreSide open(Path dir, Durability durability, long mapSize) {
    return new StoreSide(
        SsdStore.open(
            StoreSettings.defaults(dir).withDurability(durability).withMapSizes(mapSize, 2 * mapSize)));
  }

  @Override
  public String name() {
    return "store";
  }

  @Override
  public void writeBatch(Dataset.Slice slice, int from, int to) {
    WriteBatch batch = new WriteBatch();
    for (int j = from; j < to; j++) {
      batch.put(slice.keys()[j], slice.values()[j], slice.seq(j));
    }
    store.write(batch);
  }

  @Override
  public void put(byte[] key, byte[] value, long seq) {
    store.put(key, value, seq);
  }

  @Override
  public byte[] get(byte[] key) {
    return store.get(key).map(Versioned::value).orElse(null);
  }

  StoreStats stats() {
    return store.stats();
  }

  @Override
  public void close() {
    store.close();
  }
}
