package dev.junction.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.junction.client.fake.FakeServer;
import dev.junction.client.fake.FakeStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** put, get, delete, scan and cas against a fake endpoint on loopback. */
class KeyCommandsTest {
  private final FakeServer server = FakeServer.onLoopback(new FakeStore());
  private final Ctl ctl = Ctl.at(server.endpoint());

  @AfterEach
  void stop() {
    server.close();
  }

  private void assertResult(Ctl.Result result, int exit, String out, String err) {
    assertEquals(new Ctl.Result(exit, out, err), result);
  }

  @Test
  void putPrintsTheSeqAndGetPrintsTheValue() {
    assertResult(ctl.run("put", "greeting", "hello world"), 0, "ok seq=1\n", "");
    assertResult(ctl.run("get", "greeting"), 0, "hello world\n", "");
  }

  @Test
  void getOfAnAbsentKeySaysNotFoundOnStderrAndExits1() {
    assertResult(ctl.run("get", "absent"), 1, "", "not found\n");
  }

  @Test
  void deleteRemovesTheKey() {
    ctl.run("put", "k", "v");

    assertResult(ctl.run("delete", "k"), 0, "ok seq=2\n", "");
    assertResult(ctl.run("get", "k"), 1, "", "not found\n");
  }

  @Test
  void scanPrintsKeyTabValueLinesInKeyOrder() {
    for (String key : new String[] {"c", "a", "d", "b"}) {
      ctl.run("put", key, "value of " + key);
    }

    assertResult(ctl.run("scan", "", ""), 0, "a\tvalue of a\nb\tvalue of b\nc\tvalue of c\nd\tvalue of d\n", "");
    assertResult(ctl.run("scan", "b", "d"), 0, "b\tvalue of b\nc\tvalue of c\n", "");
    assertResult(ctl.run("scan", "", "", "--limit", "3"), 0, "a\tvalue of a\nb\tvalue of b\nc\tvalue of c\n", "");
    assertResult(ctl.run("scan", "x", ""), 0, "", "");
  }

  @Test
  void hexReadsAndPrintsKeysAndValuesAsHex() {
    assertResult(ctl.run("--hex", "put", "00ff", "CAFE"), 0, "ok seq=1\n", "");
    ctl.run("put", "a", "b");

    assertResult(ctl.run("--hex", "get", "00ff"), 0, "cafe\n", "");
    assertResult(ctl.run("get", "--hex", "61"), 0, "62\n", "");
    assertResult(ctl.run("scan", "--hex", "", ""), 0, "00ff\tcafe\n61\t62\n", "");
  }

  @Test
  void casAppliesOnTheExpectedValue() {
    ctl.run("put", "k", "old");

    assertResult(ctl.run("cas", "k", "old", "new"), 0, "applied seq=2\n", "");
    assertResult(ctl.run("get", "k"), 0, "new\n", "");
  }

  @Test
  void casNotAppliedShowsTheCurrentValueAndExits1() {
    ctl.run("put", "k", "actual");

    assertResult(ctl.run("cas", "k", "expected", "new"), 1, "not applied, current value: actual (seq=1)\n", "");
    assertResult(ctl.run("cas", "absent", "expected", "new"), 1, "not applied, key is absent\n", "");
  }

  @Test
  void casExpectAbsentTakesKeyAndNewValue() {
    assertResult(ctl.run("cas", "--expect-absent", "k", "first"), 0, "applied seq=1\n", "");
    assertResult(ctl.run("cas", "--expect-absent", "k", "second"), 1, "not applied, current value: first (seq=1)\n", "");
  }
}
