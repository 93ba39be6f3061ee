package dev.junction.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.client.fake.FakeServer;
import dev.junction.client.fake.FakeStore;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Usage errors (exit 2), help, version, and where the endpoints come from. */
class UsageTest {
  private static final List<String> SUBCOMMANDS = List.of("put", "get", "delete", "scan", "cas", "ranges", "status");

  private final FakeStore store = new FakeStore();
  private final FakeServer server = FakeServer.onLoopback(store);
  private final Ctl ctl = Ctl.at(server.endpoint());

  @AfterEach
  void stop() {
    server.close();
  }

  private static void assertUsageError(Ctl.Result result, String firstLine) {
    assertEquals(2, result.exit(), result.toString());
    assertEquals("", result.out());
    assertEquals("junctionctl: " + firstLine, result.err().lines().findFirst().orElse(""), result.err());
    assertTrue(result.err().contains("--help' for more information."), result.err());
  }

  @Test
  void usageErrorsExitWith2() {
    assertUsageError(ctl.run(), "Missing subcommand (one of put, get, delete, scan, cas, ranges, replicas, status, load, plan, rebalance, move, split, merge, operators, drain)");
    assertUsageError(ctl.run("frobnicate"), "Unmatched argument at index 2: 'frobnicate'");
    assertUsageError(ctl.run("get"), "Missing required parameter: 'KEY'");
    assertUsageError(ctl.run("put", "k"), "Missing required parameter: 'VALUE'");
    assertUsageError(ctl.run("get", "a", "b"), "Unmatched argument at index 4: 'b'");
    assertUsageError(ctl.run("scan", "a", "b", "--limit", "0"), "--limit must be at least 1, got 0");
    assertUsageError(ctl.run("--timeout", "soon", "get", "k"),
        "Invalid value for option '--timeout': 'soon' is not a duration such as 500ms, 5s, 2m or PT5S");
    assertUsageError(ctl.run("--hex", "get", "xyz"), "KEY: 'xyz' is not hex: odd number of digits");
    assertUsageError(ctl.run("cas", "k", "v"), "give KEY EXPECTED NEW (3 arguments), or --expect-absent KEY NEW; got 2");
    assertUsageError(ctl.run("cas", "--expect-absent", "k", "a", "b"), "with --expect-absent give KEY NEW (2 arguments), got 3");
    assertEquals(0, server.kv().calls(), "no usage error reaches the server");
  }

  @Test
  void aBadEndpointIsAUsageError() {
    assertUsageError(Ctl.at("localhost").run("get", "k"), "endpoint 'localhost' is not HOST:PORT (port 1-65535)");
  }

  @Test
  void helpWorksEverywhere() {
    Ctl.Result top = ctl.run("--help");
    assertEquals(0, top.exit());
    assertTrue(top.out().startsWith("Usage: junctionctl "), top.out());
    for (String sub : SUBCOMMANDS) {
      assertTrue(top.out().contains("\n  " + sub + " "), sub);
      Ctl.Result help = ctl.run(sub, "--help");
      assertEquals(0, help.exit(), sub);
      assertTrue(help.out().startsWith("Usage: junctionctl " + sub + " "), help.out());
      assertTrue(help.out().contains("--endpoint=HOST:PORT"), help.out());
      assertEquals(help.out(), ctl.run("help", sub).out());
    }
  }

  @Test
  void versionNamesTheBuild() {
    Ctl.Result version = ctl.run("--version");

    assertEquals(0, version.exit());
    assertTrue(version.out().matches("junctionctl \\d+\\.\\d+\\.\\d+.*\n"), version.out());
  }

  @Test
  void endpointsComeFromTheEnvironmentWhenNotGiven() {
    FakeServer dead = FakeServer.onLoopback(store);
    dead.stop();
    Ctl fromEnv = Ctl.withEnv(Map.of(JunctionCtl.ENDPOINT_ENV, dead.endpoint() + ", " + server.endpoint()));

    assertEquals(new Ctl.Result(0, "ok seq=1\n", ""), fromEnv.run("put", "k", "v"));
    assertEquals(1, server.kv().calls());
  }

  @Test
  void endpointOptionsBeatTheEnvironmentAndMayBeRepeatedOrCommaSeparated() {
    FakeServer dead = FakeServer.onLoopback(store);
    dead.stop();
    Ctl wrongEnv = Ctl.withEnv(Map.of(JunctionCtl.ENDPOINT_ENV, dead.endpoint()));

    assertEquals(0, wrongEnv.run("--endpoint", dead.endpoint(), "--endpoint", server.endpoint(), "put", "k", "v").exit());
    assertEquals(0, wrongEnv.run("--endpoint", dead.endpoint() + "," + server.endpoint(), "get", "k").exit());
    assertEquals(0, wrongEnv.run("get", "k", "--endpoint", server.endpoint()).exit());
    assertEquals(3, server.kv().calls());
  }

  @Test
  void theDefaultEndpointIsLocal() {
    assertEquals(List.of(JunctionCtl.DEFAULT_ENDPOINT), populated(Map.of()).endpoints());
    assertEquals(List.of("a:1", "b:2"), populated(Map.of(JunctionCtl.ENDPOINT_ENV, " a:1, b:2 ,")).endpoints());
  }

  private static JunctionCtl populated(Map<String, String> env, String... args) {
    JunctionCtl command = new JunctionCtl(env);
    new CommandLine(command).parseArgs(args);
    return command;
  }
}
