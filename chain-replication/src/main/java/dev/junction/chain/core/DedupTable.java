package dev.junction.chain.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Recent client request ids and the answers they got, so that a retried write is applied at most once.
 * Bounded: the last {@code perClient} requests of each of the {@code maxClients} most recently seen
 * clients. Every replica keeps one, filled in log order, so a replica that becomes head knows what the old
 * head applied.
 */
final class DedupTable {
  /** A request already in the log: its sequence number and its answer. */
  record Hit(long seq, WriteResult result) {}

  private final int perClient;
  private final LinkedHashMap<String, LinkedHashMap<Long, Hit>> clients;

  DedupTable(int perClient, int maxClients) {
    this.perClient = perClient;
    this.clients =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, LinkedHashMap<Long, Hit>> eldest) {
            return size() > maxClients;
          }
        };
  }

  Hit find(RequestId id) {
    if (id == null) {
      return null;
    }
    LinkedHashMap<Long, Hit> recent = clients.get(id.clientId());
    return recent == null ? null : recent.get(id.requestId());
  }

  /**
   * What the table holds, least recently seen client first and each client's requests in the order they
   * came: recorded in that order, a table with the same bounds holds the same.
   */
  List<Answered> snapshot() {
    List<Answered> out = new ArrayList<>();
    for (Map.Entry<String, LinkedHashMap<Long, Hit>> c : clients.entrySet()) {
      for (Map.Entry<Long, Hit> r : c.getValue().entrySet()) {
        out.add(new Answered(new RequestId(c.getKey(), r.getKey()), r.getValue().seq(), r.getValue().result()));
      }
    }
    return out;
  }

  void record(RequestId id, long seq, WriteResult result) {
    if (id == null) {
      return;
    }
    LinkedHashMap<Long, Hit> recent =
        clients.computeIfAbsent(id.clientId(), c -> new LinkedHashMap<>());
    recent.put(id.requestId(), new Hit(seq, result));
    if (recent.size() > perClient) {
      Long eldest = recent.keySet().iterator().next();
      recent.remove(eldest);
    }
  }
}
