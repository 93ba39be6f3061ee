package dev.junction.chain.replica;

import dev.junction.chain.bulk.BulkTransport;
import dev.junction.chain.bulk.TransferRequest;
import dev.junction.chain.bulk.TransferResult;
import dev.junction.chain.core.RangeConfig;
import dev.junction.store.RangeMeta;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A new replica's copy of its range from another replica's node over the bulk path: this node's data of
 * the range is wiped first (an earlier replica's leftovers), the snapshot streams in chunk by chunk, and
 * a broken connection resumes after the last key received. The result is the sequence number the copy
 * is complete up to, where catching up from the replication log starts: a resumed copy mixes snapshots,
 * so it is the oldest of them.
 */
final class StateTransfer {
  private static final Logger log = LoggerFactory.getLogger(StateTransfer.class);
  static final int ATTEMPTS = 5;
  private static final long ATTEMPT_TIMEOUT_MINUTES = 30;

  private StateTransfer() {}

  /** Copies {@code config}'s range from the bulk server at {@code peer} into {@code store}. */
  static long copy(ReplicaStore store, BulkTransport bulk, InetSocketAddress peer, RangeConfig config) {
    store.wipe(config.start(), config.end());
    TransferRequest request = new TransferRequest(config.rangeId(), config.start(), config.end());
    long from = Long.MAX_VALUE;
    long entries = 0;
    long bytes = 0;
    Exception last = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      long[] snapshotSeq = {-1};
      byte[][] lastKey = {null};
      try {
        TransferResult r =
            bulk.fetch(
                    peer,
                    request,
                    meta -> snapshotSeq[0] = meta.map(RangeMeta::appliedSeq).orElse(0L),
                    chunk -> {
                      store.importEntries(chunk);
                      lastKey[0] = chunk.get(chunk.size() - 1).key();
                    })
                .get(ATTEMPT_TIMEOUT_MINUTES, TimeUnit.MINUTES);
        from = Math.min(from, snapshotSeq[0]);
        entries += r.entries();
        bytes += r.bytes();
        store.markTransferred(config.epoch(), from, config.start(), config.end());
        log.info("range {}: copied {} entries ({} bytes) from {} in {} attempt(s), complete up to seq {}",
            config.rangeId(), entries, bytes, peer, attempt, from);
        return from;
      } catch (ExecutionException | TimeoutException e) {
        last = e;
        if (snapshotSeq[0] >= 0) {
          from = Math.min(from, snapshotSeq[0]);
        }
        if (lastKey[0] != null) {
          request = request.after(lastKey[0]);
        }
        log.warn("range {}: copy from {} broke off (attempt {} of {}): {}; resuming after the last key received",
            config.rangeId(), peer, attempt, ATTEMPTS, String.valueOf(e.getCause()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while copying range " + config.rangeId(), e);
      }
    }
    throw new IllegalStateException(
        "copying range " + config.rangeId() + " from " + peer + " failed " + ATTEMPTS + " times", last);
  }

}
