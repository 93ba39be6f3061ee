package dev.junction.admin;

import dev.junction.client.JunctionClient;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * A subcommand that makes calls: opens a client of the endpoints given to {@link JunctionCtl}, runs,
 * closes the client. Subclasses implement {@link #run}.
 */
abstract class ClientCommand implements Callable<Integer> {
  @ParentCommand private JunctionCtl ctl;

  @Spec private CommandSpec spec;

  @Override
  public final Integer call() {
    try (JunctionClient client = ctl.connect()) {
      int code = run(client, ctl.codec());
      out().flush();
      return code;
    }
  }

  /**
   * Runs the subcommand.
   *
   * @param client a client of the endpoints
   * @param codec how keys and values are read and printed
   * @return the exit code
   */
  abstract int run(JunctionClient client, Codec codec);

  /** Standard output. */
  final PrintWriter out() {
    return spec.commandLine().getOut();
  }

  /** Standard error. */
  final PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /** A usage error: the message, a hint to --help, exit 2. */
  final ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  /** Parses a key or value argument; a bad one is a usage error. */
  final byte[] parse(Codec codec, String text, String what) {
    try {
      return codec.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), what + ": " + e.getMessage());
    }
  }
}
