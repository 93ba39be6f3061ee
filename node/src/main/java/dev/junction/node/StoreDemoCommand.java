package dev.junction.node;

import dev.junction.store.Durability;
import dev.junction.store.KeyValue;
import dev.junction.store.Keys;
import dev.junction.store.SsdStore;
import dev.junction.store.StoreSettings;
import dev.junction.store.StoreStats;
import dev.junction.store.Versioned;
import dev.junction.store.WriteBatch;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * A tour of the storage engine on one node's data directory: writes a few keys with sequence numbers,
 * reads them back, scans, compares-and-sets, and prints the engine's counters. Run it twice on the same
 * directory to see that the data stays.
 */
@Command(
    name = "store-demo",
    mixinStandardHelpOptions = true,
    description = {
      "Open (or create) a store in --data, write and read a few keys, and print what happened.",
      "Running it again on the same directory shows the data from earlier runs."
    })
final class StoreDemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--data",
      defaultValue = "data/store-demo",
      description = "Store directory (created if missing). Default: ${DEFAULT-VALUE}")
  Path data;

  @Option(
      names = "--durability",
      defaultValue = "fsync",
      description = "fsync or replicated. Default: ${DEFAULT-VALUE}")
  String durability;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Durability mode =
        switch (durability.toLowerCase()) {
          case "fsync" -> Durability.FSYNC;
          case "replicated" -> Durability.REPLICATED;
          default ->
              throw new picocli.CommandLine.ParameterException(
                  spec.commandLine(), "--durability must be fsync or replicated, not " + durability);
        };
    try (SsdStore store = SsdStore.open(StoreSettings.defaults(data).withDurability(mode))) {
      out.println("store: " + store.directory() + " (durability " + durability + ")");
      Optional<Versioned> runs = store.get(bytes("demo/runs"));
      long run = runs.map(v -> Long.parseLong(text(v.value())) + 1).orElse(1L);
      out.println("run: " + run + (run == 1 ? " (new store)" : " (data from earlier runs is still here)"));

      long seq = run * 10;
      store.write(
          new WriteBatch()
              .put(bytes("demo/runs"), bytes(Long.toString(run)), seq)
              .put(bytes("fruit/apple"), bytes("red"), seq + 1)
              .put(bytes("fruit/banana"), bytes("yellow"), seq + 2)
              .put(bytes("fruit/cherry"), bytes("dark red"), seq + 3)
              .put(bytes("veg/leek"), bytes("green"), seq + 4));
      out.println("wrote 5 keys in one atomic batch");

      Versioned apple = store.get(bytes("fruit/apple")).orElseThrow();
      out.println("get fruit/apple -> " + text(apple.value()) + " (seq " + apple.seq() + ")");

      List<KeyValue> fruit = store.scan(bytes("fruit/"), bytes("fruit0"), 100);
      out.println("scan [fruit/, fruit0):");
      for (KeyValue kv : fruit) {
        out.println("  " + text(kv.key()) + "\t" + text(kv.value()));
      }

      var cas = store.compareAndSet(bytes("fruit/banana"), bytes("green"), bytes("brown"), seq + 5);
      out.println(
          "compare-and-set fruit/banana green->brown: "
              + (cas.applied() ? "applied" : "not applied, it holds " + cas.current().map(v -> text(v.value())).orElse("nothing")));

      store.delete(bytes("veg/leek"));
      out.println("delete veg/leek -> now " + (store.get(bytes("veg/leek")).isPresent() ? "present" : "absent"));
      out.println("all keys: " + store.scan(Keys.unbounded(), Keys.unbounded(), 1000).size());

      StoreStats s = store.stats();
      out.printf(
          "stats: %d commits, %d batches, %d operations, %d syncs, map %d MiB%n",
          s.commits(), s.batches(), s.operations(), s.syncs(), s.mapSize() >> 20);
    }
    out.flush();
    return 0;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
