package dev.junction.admin;

import dev.junction.client.JunctionClient;
import dev.junction.client.JunctionException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * {@code junctionctl}, the command line of Junction: reads and writes keys and shows the cluster,
 * over the gRPC API of any node. This class is the top command, with the global options; each
 * subcommand is its own class.
 *
 * <p>Exit codes: 0 done; 1 a failed call ({@code junctionctl: <STATUS>: <message>} on stderr), a key
 * not found, or a compare-and-set not applied; 2 a usage error.
 */
@Command(
    name = "junctionctl",
    mixinStandardHelpOptions = true,
    versionProvider = JunctionCtl.Version.class,
    description = "Reads and writes keys of a Junction cluster and shows its state.",
    subcommands = {
      PutCommand.class,
      GetCommand.class,
      DeleteCommand.class,
      ScanCommand.class,
      CasCommand.class,
      RangesCommand.class,
      ReplicasCommand.class,
      StatusCommand.class,
      LoadCommand.class,
      PlanCommand.class,
      RebalanceCommand.class,
      MoveCommand.class,
      SplitCommand.class,
      MergeCommand.class,
      OperatorsCommand.class,
      DrainCommand.class,
      CommandLine.HelpCommand.class
    },
    footerHeading = "%n",
    footer = {
      "Keys and values are UTF-8 text, or hex with --hex.",
      "Environment: JUNCTION_ENDPOINT  endpoints used when --endpoint is not given (comma-separated).",
      "Exit codes: 0 done; 1 failed call, key not found or compare-and-set not applied; 2 usage error.",
      "Examples:",
      "  junctionctl put greeting hello",
      "  junctionctl --endpoint 127.0.0.1:7070,127.0.0.1:7071 get greeting",
      "  junctionctl scan \"\" \"\" --limit 10",
      "  junctionctl ranges",
      "  junctionctl plan",
      "  junctionctl drain 127.0.0.1:7073"
    })
public final class JunctionCtl implements Callable<Integer> {
  /** The environment variable naming the default endpoints. */
  public static final String ENDPOINT_ENV = "JUNCTION_ENDPOINT";

  /** The endpoint used when neither --endpoint nor {@value #ENDPOINT_ENV} is given. */
  public static final String DEFAULT_ENDPOINT = "127.0.0.1:7070";

  /** Exit code of a failed call, a key not found or a compare-and-set not applied. */
  public static final int EXIT_FAILED = 1;

  /** Exit code of a usage error. */
  public static final int EXIT_USAGE = CommandLine.ExitCode.USAGE;

  private final Map<String, String> env;

  @Spec private CommandSpec spec;

  @Option(
      names = "--endpoint",
      split = ",",
      paramLabel = "HOST:PORT",
      scope = ScopeType.INHERIT,
      description = {
        "gRPC endpoint of a node; repeat it or separate with commas to fail over between several.",
        "Default: $" + ENDPOINT_ENV + ", else " + DEFAULT_ENDPOINT + "."
      })
  private List<String> endpoints;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "5s",
      converter = DurationConverter.class,
      scope = ScopeType.INHERIT,
      description = "Deadline of each call, e.g. 500ms, 5s, 1m (default: ${DEFAULT-VALUE}).")
  private Duration timeout;

  @Option(
      names = "--hex",
      scope = ScopeType.INHERIT,
      description = "Read and print keys and values as hex instead of UTF-8 text.")
  private boolean hex;

  /** A command that takes its default endpoints from {@code env}. */
  JunctionCtl(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  /** Runs junctionctl and exits with its exit code. */
  public static void main(String[] args) {
    System.exit(commandLine(System.getenv()).execute(args));
  }

  /**
   * The picocli command line of junctionctl, with its error handling: failed calls print {@code
   * junctionctl: <STATUS>: <message>} and exit 1, usage errors exit 2.
   *
   * @param env the environment, for {@value #ENDPOINT_ENV}
   */
  public static CommandLine commandLine(Map<String, String> env) {
    CommandLine cmd = new CommandLine(new JunctionCtl(env));
    cmd.setParameterExceptionHandler(JunctionCtl::usageError);
    cmd.setExecutionExceptionHandler(JunctionCtl::failure);
    return cmd;
  }

  /** Without a subcommand: a usage error. */
  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand (one of " + subcommandNames() + ")");
  }

  /** Opens a client of the endpoints with the timeout as deadline. */
  JunctionClient connect() {
    return JunctionClient.builder()
        .endpoints(endpoints())
        .deadline(timeout)
        .clientId("junctionctl-" + UUID.randomUUID())
        .connectWait(Duration.ZERO) // one command: no need to connect to every node first
        .build();
  }

  /** The endpoints: --endpoint, else $JUNCTION_ENDPOINT, else the default. */
  List<String> endpoints() {
    if (endpoints != null && !endpoints.isEmpty()) {
      return endpoints;
    }
    String fromEnv = env.getOrDefault(ENDPOINT_ENV, "").trim();
    if (fromEnv.isEmpty()) {
      return List.of(DEFAULT_ENDPOINT);
    }
    return Arrays.stream(fromEnv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /** How keys and values are read and printed. */
  Codec codec() {
    return hex ? Codec.HEX : Codec.TEXT;
  }

  private String subcommandNames() {
    return String.join(", ", spec.subcommands().keySet().stream().filter(n -> !n.equals("help")).toList());
  }

  private static int usageError(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println("junctionctl: " + e.getMessage());
    UnmatchedArgumentException.printSuggestions(e, err);
    err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
    err.flush();
    return EXIT_USAGE;
  }

  private static int failure(Exception e, CommandLine cmd, ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    if (e instanceof JunctionException je) {
      err.println("junctionctl: " + je.code() + ": " + je.getMessage());
      err.flush();
      return EXIT_FAILED;
    }
    if (e instanceof IllegalArgumentException) {
      String[] args = parsed.originalArgs().toArray(String[]::new);
      return usageError(new ParameterException(cmd, e.getMessage(), e), args);
    }
    err.println("junctionctl: internal error: " + e);
    err.flush();
    return EXIT_FAILED;
  }

  /** The version of junctionctl, from the build. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      Properties properties = new Properties();
      try (InputStream in = JunctionCtl.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          properties.load(in);
        }
      }
      return new String[] {"junctionctl " + properties.getProperty("version", "(unknown version)")};
    }
  }
}
