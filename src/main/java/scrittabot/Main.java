package scrittabot;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import scrittabot.console.ConsoleChannel;
import scrittabot.kernel.Channel;
import scrittabot.kernel.EventQueue;
import scrittabot.library.Library;
import scrittabot.llm.Replay;
import scrittabot.matrix.Login;
import scrittabot.matrix.MatrixChannel;
import scrittabot.memory.Database;
import scrittabot.memory.DatabaseUrl;
import scrittabot.memory.Memory;
import scrittabot.memory.Reembed;
import scrittabot.memory.Reset;
import scrittabot.monitor.Monitor;
import sun.misc.Signal;

/** The command line. Problems with the command or the config are one line, never a trace. */
public final class Main {
  private static final String USAGE = """
      Usage: java -jar scrittabot.jar [--config FILE] [--console] [--login [HOMESERVER [USER]]]
                                      [--import-credentials FILE] [--replay FILE]
                                      [--reset-db [--yes]] [--reembed] [--help] [--version]
        --config FILE   the config file (default: config.yaml)
        --console       chat with the agent in this terminal instead of Matrix
        --login         log in to Matrix with a password (asked for) and write the access token
                        into the config file
        --import-credentials FILE
                        take the Matrix keys from matrix-commander's credentials.json into the
                        config file
        --replay FILE   send a dumped failed LLM request again and print the answer
        --reset-db      delete everything the bot remembers (its tables in database_url) and
                        start afresh; asks first, unless --yes is given
        --reembed       recompute every embedding with model_embedding (after changing the
                        embedding model); every text is kept
        --help          show this help
        --version       show the version""";

  /** The parsed command line. */
  record Options(Path config, boolean console, Path replay, boolean help, boolean version,
      List<String> login, Path credentials, boolean resetDb, boolean yes, boolean reembed) {}

  /** A mistake on the command line or in the config: printed as one line, exit code 2. */
  static final class UsageException extends Exception {
    UsageException(String message) {
      super(message);
    }
  }

  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true"); // images are scaled, never shown
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
    if (options.login() != null || options.credentials() != null) {
      return writeCredentials(options);
    }
    boolean maintenance = options.resetDb() || options.reembed();
    Config config = Config.load(options.config(), options.console() || maintenance);
    setUpLogging(maintenance ? "warn" : config.logLevel());
    var log = LoggerFactory.getLogger(Main.class);
    config.warnings().forEach(log::warn);
    try {
      if (options.resetDb()) {
        try (Database db = database(config, false)) {
          return Reset.run(db, options.yes(), System.in, System.out);
        }
      }
      if (options.reembed()) {
        try (Database db = database(config, true)) {
          return Reembed.run(db, config, System.out);
        }
      }
      log.info("starting {} with {}", version(), config);
      try (Memory memory = openMemory(config)) {
        Library library = startLibrary(config, memory);
        Monitor monitor = Monitor.start(config, memory, library); // null: off, said why
        try {
          return options.console() ? runConsole(config, memory, library, monitor)
              : runMatrix(config, memory, library, monitor);
        } finally {
          if (monitor != null) {
            monitor.close();
          }
        }
      }
    } catch (InterruptedException e) {
      log.info("bye: interrupted while waiting for the database");
      return 0;
    }
  }

  /** The memory in database_url; a database that is down is waited for. */
  private static Memory openMemory(Config config) throws Config.ConfigException,
      InterruptedException {
    Database db = database(config, true);
    try {
      return new Memory(db, config);
    } catch (java.sql.SQLException e) {
      db.close();
      throw new Config.ConfigException("cannot read the memory in database " + db.url() + ": "
          + e.getMessage());
    }
  }

  private static Library startLibrary(Config config, Memory memory)
      throws Config.ConfigException {
    Library library = Bot.library(config, memory);
    try {
      library.start();
      return library;
    } catch (IOException e) {
      throw new Config.ConfigException("files_dir " + config.filesDir() + " cannot be used: "
          + e);
    }
  }

  private static Database database(Config config, boolean migrate)
      throws Config.ConfigException, InterruptedException {
    if (config.databaseUrl() == null) {
      throw new Config.ConfigException("database_url is missing from the config: 'make run' "
          + "sets up a local PostgreSQL and writes it, or set it to your own "
          + "(postgresql://user:password@host:5432/database, with the vector extension)");
    }
    try {
      return Database.open(DatabaseUrl.parse(config.databaseUrl()), migrate);
    } catch (IllegalArgumentException | Database.Unusable e) {
      throw new Config.ConfigException(e.getMessage());
    }
  }

  /** The monitor page (null when off) watches the bot's steps and may pause and wake it. */
  private static void show(Bot bot, Monitor monitor, Channel channel) {
    if (monitor != null) {
      bot.watch(monitor.watcher());
      monitor.control(new Monitor.Controls(bot.pause(), bot::wakeNow, channel::trouble,
          bot::llmCalls));
    }
  }

  private static int runMatrix(Config config, Memory memory, Library library, Monitor monitor)
      throws Config.ConfigException {
    var log = LoggerFactory.getLogger(Main.class);
    var queue = new EventQueue(memory);
    Thread main = Thread.currentThread();
    try (var matrix = new MatrixChannel(config, queue, memory, library);
        var bot = new Bot(config, memory, library, queue, matrix)) {
      show(bot, monitor, matrix);
      memory.onLockLost(() -> bot.stop("another bot took the database while it was away"));
      // The main thread may still wait for the homeserver at start: interrupt that too.
      Signal.handle(new Signal("TERM"), s -> {
        bot.stop("SIGTERM");
        main.interrupt();
      });
      Signal.handle(new Signal("INT"), s -> {
        bot.stop("interrupted");
        main.interrupt();
      });
      matrix.start(reason -> {
        log.error("cannot go on: {}", reason);
        bot.stop(reason);
      });
      String reason = bot.run();
      log.info("bye: {}", reason);
    } catch (IllegalStateException e) {
      log.error("cannot run: {}", e.getMessage());
      return 1;
    } catch (InterruptedException e) {
      log.info("bye: interrupted while starting");
    }
    return 0;
  }

  /** --login and --import-credentials: the Matrix keys go into the config file, the rest stays. */
  private static int writeCredentials(Options options) throws UsageException {
    Map<String, String> keys;
    try {
      Map<?, ?> old = oldConfig(options.config());
      if (options.credentials() != null) {
        keys = new LinkedHashMap<>(Login.importCredentials(options.credentials()));
        if (old.get("room_id") != null) {
          keys.remove("room_id"); // the config's rooms stay; matrix-commander knows one
        }
      } else {
        var args = new ArrayList<>(options.login());
        if (args.isEmpty() && old.get("homeserver") != null) {
          args.add(String.valueOf(old.get("homeserver")));
        }
        if (args.size() == 1 && old.get("user_id") != null) {
          args.add(String.valueOf(old.get("user_id")));
        }
        // The same device keeps its place in the users' device lists: no new one per login.
        String device = old.get("device_id") == null ? null : String.valueOf(old.get("device_id"));
        keys = Login.askAndLogin(args, device,
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)),
            System.out, System.console());
      }
      ConfigFile.update(options.config(), keys);
    } catch (IOException | IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    } catch (InterruptedException e) {
      return 1;
    }
    System.out.println("wrote " + String.join(", ", keys.keySet()) + " for " + keys.get("user_id")
        + " into " + options.config());
    return 0;
  }

  /** The keys of an existing config, to reuse at login; empty when there is none. */
  private static Map<?, ?> oldConfig(Path file) {
    try {
      Object parsed = new Yaml(new SafeConstructor(new LoaderOptions())).load(
          Files.readString(file));
      return parsed instanceof Map<?, ?> map ? map : Map.of();
    } catch (IOException | RuntimeException e) {
      return Map.of();
    }
  }

  private static int runConsole(Config config, Memory memory, Library library,
      Monitor monitor) {
    var log = LoggerFactory.getLogger(Main.class);
    var queue = new EventQueue(memory);
    var console = new ConsoleChannel(queue, System.in, System.out);
    try (var bot = new Bot(config, memory, library, queue, console)) {
      show(bot, monitor, console);
      memory.onLockLost(() -> bot.stop("another bot took the database while it was away"));
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
    } catch (IOException | IllegalArgumentException e) {
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
    List<String> login = null;
    Path credentials = null;
    boolean resetDb = false;
    boolean yes = false;
    boolean reembed = false;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      switch (arg) {
        case "--config" -> config = Path.of(value(args, ++i, arg));
        case "--replay" -> replay = Path.of(value(args, ++i, arg));
        case "--import-credentials" -> credentials = Path.of(value(args, ++i, arg));
        case "--login" -> {
          login = new ArrayList<>();
          while (i + 1 < args.size() && !args.get(i + 1).startsWith("--") && login.size() < 2) {
            login.add(args.get(++i));
          }
        }
        case "--console" -> console = true;
        case "--reset-db" -> resetDb = true;
        case "--yes" -> yes = true;
        case "--reembed" -> reembed = true;
        case "--help", "-h" -> help = true;
        case "--version" -> version = true;
        default -> throw new UsageException("unknown option '" + arg + "' (try --help)");
      }
    }
    return new Options(config, console, replay, help, version, login, credentials, resetDb, yes,
        reembed);
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
