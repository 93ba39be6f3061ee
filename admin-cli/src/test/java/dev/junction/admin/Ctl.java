package dev.junction.admin;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/** Runs junctionctl in-process against given endpoints, capturing its output. */
final class Ctl {
  /** What a run of junctionctl did. */
  record Result(int exit, String out, String err) {}

  private final Map<String, String> env;
  private final List<String> globalArgs;

  private Ctl(Map<String, String> env, List<String> globalArgs) {
    this.env = env;
    this.globalArgs = globalArgs;
  }

  /** Runs with {@code --endpoint endpoint} first and an empty environment. */
  static Ctl at(String endpoint) {
    return new Ctl(Map.of(), List.of("--endpoint", endpoint));
  }

  /** Runs with the given environment and no global arguments. */
  static Ctl withEnv(Map<String, String> env) {
    return new Ctl(env, List.of());
  }

  /** Runs {@code junctionctl <global args> args}. */
  Result run(String... args) {
    List<String> all = new ArrayList<>(globalArgs);
    all.addAll(List.of(args));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = JunctionCtl.commandLine(env);
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int exit = cmd.execute(all.toArray(String[]::new));
    return new Result(exit, out.toString(), err.toString());
  }
}
