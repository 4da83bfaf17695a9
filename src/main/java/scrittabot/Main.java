package scrittabot;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.slf4j.LoggerFactory;
import scrittabot.console.ConsoleChannel;
import scrittabot.kernel.EventQueue;
import scrittabot.llm.Replay;
import sun.misc.Signal;

/** The command line. Problems with the command or the config are one line, never a trace. */
public final class Main {
  private static final String USAGE = """
      Usage: java -jar scrittabot.jar [--config FILE] [--console] [--replay FILE] [--help] [--version]
        --config FILE   the config file (default: config.yaml)
        --console       chat with the agent in this terminal instead of Matrix
        --replay FILE   send a dumped failed LLM request again and print the answer
        --help          show this help
        --version       show the version""";

  /** The parsed command line. */
  record Options(Path config, boolean console, Path replay, boolean help, boolean version) {}

  /** A mistake on the command line or in the config: printed as one line, exit code 2. */
  static final class UsageException extends Exception {
    UsageException(String message) {
      super(message);
    }
  }

  public static void main(String[] args) {
    try {
      System.exit(run(args));
    } catch (UsageException | Config.ConfigException e) {
      System.err.println("scrittabot: " + e.getMessage());
      System.exit(2);
    }
  }

  static int run(String[] args) throws UsageException, Config.ConfigException {
    Options options = parse(List.of(args));
    if (options.help()) {
      System.out.println(USAGE);
      return 0;
    }
    if (options.version()) {
      System.out.println("scrittabot " + version());
      return 0;
    }
    if (options.replay() != null) {
      return replay(options);
    }
    Config config = Config.load(options.config(), options.console());
    setUpLogging(config.logLevel());
    var log = LoggerFactory.getLogger(Main.class);
    config.warnings().forEach(log::warn);
    if (!options.console()) {
      throw new UsageException("the Matrix channel is not built yet; run with --console");
    }
    return runConsole(config);
  }

  private static int runConsole(Config config) {
    var log = LoggerFactory.getLogger(Main.class);
    log.info("starting {} with {}", version(), config);
    var queue = new EventQueue();
    var console = new ConsoleChannel(queue, System.in, System.out);
    try (var bot = new Bot(config, queue, console)) {
      Signal.handle(new Signal("TERM"), s -> bot.stop("SIGTERM"));
      Signal.handle(new Signal("INT"), s -> bot.stop("interrupted"));
      console.start(() -> bot.stop("console input closed"));
      String reason = bot.run();
      log.info("bye: {}", reason);
    } catch (IllegalStateException e) {
      log.error("cannot run: {}", e.getMessage());
      return 1;
    }
    return 0;
  }

  private static int replay(Options options) throws UsageException {
    Function<String, String> keys = url -> "";
    if (Files.exists(options.config())) {
      try {
        keys = Config.load(options.config(), true)::keyFor;
      } catch (Config.ConfigException e) {
        System.err.println("scrittabot: replaying without an API key: " + e.getMessage());
      }
    }
    setUpLogging("warn");
    try {
      return Replay.run(options.replay(), keys, Config.DEFAULT_REQUEST_TIMEOUT, System.out) ? 0 : 1;
    } catch (java.io.IOException | IllegalArgumentException e) {
      throw new UsageException("cannot replay " + options.replay() + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  static Options parse(List<String> args) throws UsageException {
    Path config = Path.of("config.yaml");
    Path replay = null;
    boolean console = false;
    boolean help = false;
    boolean version = false;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      switch (arg) {
        case "--config" -> config = Path.of(value(args, ++i, arg));
        case "--replay" -> replay = Path.of(value(args, ++i, arg));
        case "--console" -> console = true;
        case "--help", "-h" -> help = true;
        case "--version" -> version = true;
        default -> throw new UsageException("unknown option '" + arg + "' (try --help)");
      }
    }
    return new Options(config, console, replay, help, version);
  }

  private static String value(List<String> args, int i, String option) throws UsageException {
    if (i >= args.size() || args.get(i).startsWith("--")) {
      throw new UsageException(option + " needs a file name");
    }
    return args.get(i);
  }

  /** slf4j-simple reads these once, at its first logger: call before any logging. */
  private static void setUpLogging(String level) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level);
    System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
    System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd HH:mm:ss");
    System.setProperty("org.slf4j.simpleLogger.showThreadName", "false");
    System.setProperty("org.slf4j.simpleLogger.showShortLogName", "true");
  }

  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "(development build)" : v;
  }
}
