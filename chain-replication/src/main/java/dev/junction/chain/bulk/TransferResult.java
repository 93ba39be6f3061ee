package dev.junction.chain.bulk;

import dev.junction.store.RangeMeta;
import java.util.Optional;

/**
 * A finished transfer: how many entries and bytes arrived, the last key (empty when none), and the
 * source's range metadata as of the snapshot the entries came from (its applied sequence number is where
 * catching up from the replication log starts).
 */
public record TransferResult(long entries, long bytes, byte[] lastKey, Optional<RangeMeta> meta) {}
