package dev.junction.chain.replica;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.ChainReplica;
import dev.junction.chain.core.ChainSettings;
import dev.junction.chain.core.LogEntry;
import dev.junction.chain.core.Output;
import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.ReadOp;
import dev.junction.chain.core.Replica;
import dev.junction.chain.core.RequestId;
import dev.junction.chain.core.WriteOp;
import dev.junction.store.KeyValue;
import dev.junction.store.SsdStore;
import dev.junction.store.StoreSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The protocol core on a real store: persistence, recovery from the stored log, clamped scans. */
class ReplicaStoreTest {
  @TempDir Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aSingleReplicaChainPersistsRecoversAndScansWithinItsRange() throws Exception {
    RangeConfig config = new RangeConfig(3, b("b"), b("m"), 1, List.of(new Replica(0, "n0")));
    try (SsdStore store = SsdStore.open(StoreSettings.defaults(dir.resolve("s")))) {
      store.put(b("a"), b("other range"), 1);
      store.put(b("z"), b("other range"), 1);
      ReplicaStore rs = new ReplicaStore(store, 3, 0);
      ChainReplica<String> core = ChainReplica.create(0, config, ChainSettings.DEFAULTS, rs::get);
      core.start();
      core.onClientWrite(1, new RequestId("c", 1), new WriteOp.Put(b("c"), b("1")), "w1", 0);
      core.onClientWrite(1, new RequestId("c", 2), new WriteOp.Cas(b("c"), b("1"), b("2")), "w2", 0);
      Output<String> flushed = core.flush();
      List<LogEntry> pending = flushed.persist();
      assertEquals(2, pending.size(), "one batch for both");
      long last = rs.persist(config, pending, flushed.persistCommitted()).get();
      assertEquals(2, last);
      Output<String> done = core.onPersisted(last);
      assertEquals(2, done.replies().size(), "a chain of one commits on its own store");
      assertEquals(2, rs.appliedSeq());
      assertEquals("2", new String(rs.get(b("c")).orElseThrow().value(), StandardCharsets.UTF_8));
      // The next batch records the commit point, so a restart knows seq 2 is committed.
      core.onClientWrite(1, new RequestId("c", 3), new WriteOp.Put(b("d"), b("3")), "w3", 0);
      Output<String> third = core.flush();
      assertEquals(2, third.persistCommitted());
      rs.persist(config, third.persist(), third.persistCommitted()).get();
      core.onPersisted(3);

      List<KeyValue> all = rs.scan(config, new ReadOp.Scan(new byte[0], new byte[0], 100)).entries();
      assertEquals(2, all.size(), "only the range's own keys");

      List<LogEntry> log = rs.storedLog();
      assertEquals(List.of(1L, 2L, 3L), log.stream().map(LogEntry::seq).toList());
      assertEquals(2, rs.committedSeq(log));
      ChainReplica<String> recovered =
          ChainReplica.recover(0, config, ChainSettings.DEFAULTS, rs.appliedSeq(), rs.committedSeq(log), log, rs::get);
      recovered.start();
      assertEquals(3, recovered.lastReceived());
      assertEquals(3, recovered.committed(), "alone in its chain: what is durable here is committed");
      Output<String> retry =
          recovered.onClientWrite(1, new RequestId("c", 2), new WriteOp.Cas(b("c"), b("1"), b("2")), "again", 0);
      assertEquals(1, retry.replies().size(), "the recovered replica remembers request c/2 and answers it");
      assertTrue(recovered.flush().persist().isEmpty(), "without a new entry");
      rs.truncateLog(2);
    }
  }
}
