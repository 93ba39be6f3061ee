package dev.junction.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class StoreDemoCommandTest {
  @TempDir Path dir;

  private record Run(int exit, String out, String err) {}

  private Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = Junction.commandLine();
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(err));
    int exit = cmd.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void theDemoWritesReadsAndKeepsItsDataAcrossRuns() {
    String data = dir.resolve("demo").toString();
    Run first = run("store-demo", "--data", data);
    assertEquals(0, first.exit(), first.err());
    assertTrue(first.out().contains("run: 1 (new store)"), first.out());
    assertTrue(first.out().contains("get fruit/apple -> red"), first.out());
    assertTrue(first.out().contains("fruit/cherry\tdark red"), first.out());
    assertTrue(first.out().contains("delete veg/leek -> now absent"), first.out());

    Run second = run("store-demo", "--data", data, "--durability", "replicated");
    assertEquals(0, second.exit(), second.err());
    assertTrue(second.out().contains("run: 2 (data from earlier runs is still here)"), second.out());
  }

  @Test
  void aForeignDirectoryIsAOneLineErrorAndExitCodeOne() throws Exception {
    Path foreign = dir.resolve("foreign");
    Files.createDirectories(foreign);
    Files.writeString(foreign.resolve("notes.txt"), "mine");
    Run r = run("store-demo", "--data", foreign.toString());
    assertEquals(1, r.exit());
    assertTrue(r.err().startsWith("junction: store directory " + foreign), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
  }

  @Test
  void badOptionsAndHelpAreAnsweredByTheCommandLine() {
    Run bad = run("store-demo", "--data", dir.toString() + "/x", "--durability", "sometimes");
    assertEquals(2, bad.exit());
    assertTrue(bad.err().contains("--durability must be fsync or replicated"), bad.err());
    Run help = run("--help");
    assertEquals(0, help.exit());
    assertTrue(help.out().contains("store-demo"), help.out());
    Run badRouting = run("local", "--routing", "magic", "--data", dir.resolve("l").toString());
    assertEquals(2, badRouting.exit());
    assertTrue(badRouting.err().contains("--routing must be switch or server-driven"), badRouting.err());
    Run badDurability = run("local", "--durability", "sometimes", "--data", dir.resolve("l").toString());
    assertEquals(2, badDurability.exit());
    Run none = run();
    assertEquals(2, none.exit());
    assertTrue(none.err().contains("Missing a command"), none.err());
  }
}
