package dev.junction.chain.bulk;

import dev.junction.store.StoreSnapshot;

/** Where a bulk server reads what it sends: a consistent snapshot of the requested interval. */
@FunctionalInterface
public interface SnapshotSource {
  StoreSnapshot open(TransferRequest request);
}
