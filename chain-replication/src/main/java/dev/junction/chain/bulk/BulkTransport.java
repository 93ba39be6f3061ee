package dev.junction.chain.bulk;

import dev.junction.store.KeyValue;
import dev.junction.store.RangeMeta;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The bulk path between nodes: range snapshots for new replicas and long catch-ups, kept off the Pekko
 * message path. Implementations: {@code tcp} (always available) and {@code rdma} (DiSNI, where the native
 * library and a device exist). Both stream in chunks through a {@link BufferPool}, so memory stays bounded
 * whatever the size of the range.
 */
public interface BulkTransport extends AutoCloseable {
  /** {@code tcp} or {@code rdma}. */
  String name();

  /** Where peers reach this node's bulk server. */
  InetSocketAddress address();

  /**
   * Copies {@code request}'s entries from the node at {@code peer}: first hands {@code atStart} the
   * source's range metadata as of the snapshot the entries come from (its applied sequence number), then
   * the entries to {@code sink} in key order, chunk by chunk, on one thread. The future fails with an
   * {@link java.io.IOException} if the connection breaks; resume with {@link TransferRequest#after} from
   * the last key the sink received (the resumed part comes from a newer snapshot: catching up must start
   * from the oldest snapshot's sequence number).
   */
  CompletableFuture<TransferResult> fetch(
      InetSocketAddress peer,
      TransferRequest request,
      Consumer<Optional<RangeMeta>> atStart,
      Consumer<List<KeyValue>> sink);

  /** {@link #fetch(InetSocketAddress, TransferRequest, Consumer, Consumer)} without the metadata callback. */
  default CompletableFuture<TransferResult> fetch(
      InetSocketAddress peer, TransferRequest request, Consumer<List<KeyValue>> sink) {
    return fetch(peer, request, meta -> {}, sink);
  }

  @Override
  void close();
}
