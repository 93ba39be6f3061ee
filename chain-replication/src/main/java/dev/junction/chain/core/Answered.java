package dev.junction.chain.core;

import java.util.ArrayList;
import java.util.List;

/**
 * A client request a range applied, at sequence number {@code seq}, and the answer it got: what a replica
 * remembers so that a retry gets that answer instead of being applied again. A range that takes over the
 * keys of an ended one (a split's part, a merged range) starts out remembering the ended range's.
 */
public record Answered(RequestId id, long seq, WriteResult result) {
  /** The requests {@code log} (one range's entries, in sequence order) answered, in the same order. */
  public static List<Answered> of(List<LogEntry> log) {
    List<Answered> out = new ArrayList<>(log.size());
    for (LogEntry e : log) {
      if (e.origin() != null) {
        out.add(new Answered(e.origin(), e.seq(), e.result()));
      }
    }
    return out;
  }
}
