package dev.junction.chain.replica;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.ChainReplica;
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
      ChainReplica<String> core = ChainReplica.create(0, config, rs::get);
      core.start();
      Output<String> first =
          core.onClientWrite(1, new RequestId("c", 1), new WriteOp.Put(b("c"), b("1")), "w1");
      Output<String> second =
          core.onClientWrite(1, new RequestId("c", 2), new WriteOp.Cas(b("c"), b("1"), b("2")), "w2");
      List<LogEntry<String>> pending = List.of(first.persist().get(0), second.persist().get(0));
      long last = rs.persist(config, pending).get();
      assertEquals(2, last);
      Output<String> done = core.onPersisted(last);
      assertEquals(2, done.replies().size(), "a chain of one commits on its own store");
      assertEquals(2, rs.appliedSeq());
      assertEquals("2", new String(rs.get(b("c")).orElseThrow().value(), StandardCharsets.UTF_8));

      List<KeyValue> all = rs.scan(config, new ReadOp.Scan(new byte[0], new byte[0], 100)).entries();
      assertEquals(1, all.size(), "only the range's own keys");

      List<LogEntry<String>> log = rs.storedLog();
      assertEquals(List.of(1L, 2L), log.stream().map(LogEntry::seq).toList());
      ChainReplica<String> recovered = ChainReplica.recover(0, config, rs.appliedSeq(), log, rs::get);
      recovered.start();
      assertEquals(2, recovered.lastReceived());
      Output<String> retry =
          recovered.onClientWrite(1, new RequestId("c", 2), new WriteOp.Cas(b("c"), b("1"), b("2")), "again");
      assertTrue(retry.persist().isEmpty(), "the recovered replica remembers request c/2");
      rs.truncateLog(2);
    }
  }
}
