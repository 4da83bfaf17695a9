package scrittabot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The bot's settings, read once from config.yaml and validated at start; immutable afterwards.
 *
 * <p>Keys are those of the Python original, so an existing config works unchanged. Every new key
 * is optional. {@link #toString()} never shows keys, tokens or the database password.
 */
public record Config(
    String homeserver,
    String userId,
    String deviceId,
    String accessToken,
    List<String> rooms,
    List<String> allowedUsers,
    String databaseUrl,
    String modelLlm,
    String modelEmbedding,
    String modelRerank,
    int contextLlm,
    int contextEmbedding,
    int recallTokens,
    Sampling sampling,
    Endpoint llm,
    Endpoint embedding,
    Endpoint rerank,
    Duration requestTimeout,
    Duration sandboxTimeLimit,
    String sandboxMemory,
    boolean sandboxJit,
    int maxLlmCallsPerHour,
    Path filesDir,
    Path logsDir,
    Path stateDir,
    long maxFileSize,
    long filesQuota,
    boolean webFetch,
    List<String> webDomains,
    int indexCallsPerDocument,
    double indexCallShare,
    Duration indexAfterIdle,
    int monitorPort,
    String monitorBind,
    String monitorToken,
    int monitorPrompts,
    String logLevel,
    List<String> warnings) {

  public static final int DEFAULT_CONTEXT_LLM = 8000;
  public static final int DEFAULT_CONTEXT_EMBEDDING = 512;
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(300);
  public static final Duration DEFAULT_SANDBOX_TIME_LIMIT = Duration.ofSeconds(30);
  public static final String DEFAULT_SANDBOX_MEMORY = "384m";
  public static final int DEFAULT_MAX_LLM_CALLS_PER_HOUR = 240;
  /** LLM calls to summarise one document: a 10 MB file must not cost thousands. */
  public static final double DEFAULT_INDEX_CALLS = 40;
  /** The part of max_llm_calls_per_hour that indexing may take; the agent keeps the rest. */
  public static final double DEFAULT_INDEX_CALL_SHARE = 0.5;
  /**
   * How long the agent must have waited for events before indexing calls the LLM: on a server
   * with one slot each such call evicts the agent's cached prompt, which a chat in full swing
   * would otherwise pay for at every message.
   */
  public static final Duration DEFAULT_INDEX_AFTER_IDLE = Duration.ofSeconds(30);
  // Sampling defaults, chosen with the agent benchmark (BENCHMARKS.md section 7): with a 1.5B
  // model greedy decoding did better than temperature 0.7 with min_p 0.1. The repetition that
  // greedy decoding brings is caught by the kernel (a repeated message or the same code again).
  public static final double DEFAULT_TEMPERATURE = 0;
  public static final Double DEFAULT_TOP_P = null;
  public static final Double DEFAULT_MIN_P = null;
  public static final Double DEFAULT_REPEAT_PENALTY = null;
  /** The monitor page's port; 0 picks a free one (tests). */
  public static final int DEFAULT_MONITOR_PORT = 8377;
  public static final String DEFAULT_MAX_FILE_SIZE = "50m";
  public static final String DEFAULT_FILES_QUOTA = "5g";
  private static final Set<String> LOG_LEVELS = Set.of("trace", "debug", "info", "warn", "error");

  /** The key of the endpoint that serves {@code url}, or "" when none does. */
  public String keyFor(String url) {
    for (Endpoint e : List.of(llm, embedding, rerank)) {
      if (url.startsWith(e.url() + "/")) {
        return e.key();
      }
    }
    return "";
  }

  /**
   * How the LLM picks its tokens. Null fields are not sent, so the server's own defaults apply
   * (and a server that does not know min_p or repeat_penalty is not sent them).
   */
  public record Sampling(double temperature, Double topP, Double minP, Double repeatPenalty,
      Long seed) {
    /**
     * For a reply asked again because the first copied an earlier one: greedy decoding gives
     * the same copy every time, so at least temperature 0.7 with min_p 0.1, and no fixed seed.
     */
    public Sampling varied() {
      return new Sampling(Math.max(0.7, temperature), topP, minP == null ? 0.1 : minP,
          repeatPenalty, null);
    }
  }

  /** One OpenAI-compatible endpoint: base URL (without /v1) and its API key, which may be empty. */
  public record Endpoint(String url, String key) {
    @Override
    public String toString() {
      return url + (key.isEmpty() ? "" : " (key set)");
    }
  }

  /** A config problem, worded for the user: it names the key and what is wrong. */
  public static final class ConfigException extends Exception {
    public ConfigException(String message) {
      super(message);
    }
  }

  private static final Set<String> KNOWN_KEYS = Set.of(
      "access_token", "room_id", "user_id", "device_id", "homeserver", "context_embedding",
      "context_llm", "model_llm", "model_embedding", "model_rerank", "openai_key", "openai_url",
      "database_url", "llm_url", "embedding_url", "rerank_url", "llm_key", "embedding_key",
      "rerank_key", "request_timeout", "sandbox_time_limit", "sandbox_memory", "sandbox_jit",
      "max_llm_calls_per_hour", "files_dir", "logs_dir", "log_level", "allowed_users",
      "state_dir", "max_file_size", "files_quota", "web_fetch", "web_domains", "recall_tokens",
      "index_calls_per_document", "index_call_share", "index_after_idle", "monitor_port",
      "monitor_bind", "monitor_token", "monitor_prompts",
      "temperature", "top_p", "min_p", "repeat_penalty", "seed");

  /** Reads and validates a config file; {@code console} relaxes the Matrix and database keys. */
  public static Config load(Path file, boolean console) throws ConfigException {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
    }
    Object parsed;
    try {
      parsed = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    } catch (RuntimeException e) {
      throw new ConfigException("config file " + file + " is not valid YAML: "
          + e.getMessage().lines().findFirst().orElse(""));
    }
    if (!(parsed instanceof Map<?, ?> map)) {
      throw new ConfigException("config file " + file + " must be a YAML mapping of keys to values");
    }
    Config config = fromMap(map, console);
    // The sandbox may read all of files_dir: the keys in this file must not be there.
    Path files = config.filesDir().toAbsolutePath().normalize();
    if (file.toAbsolutePath().normalize().startsWith(files)) {
      throw new ConfigException("files_dir '" + config.filesDir() + "' holds the config file "
          + file + ", and the agent's code may read files_dir: choose a folder of its own");
    }
    return config;
  }

  public static Config fromMap(Map<?, ?> raw, boolean console) throws ConfigException {
    var keys = new Keys(raw);
    String openaiUrl = keys.url("openai_url", null);
    String openaiKey = keys.string("openai_key", "");
    var llm = new Endpoint(keys.url("llm_url", openaiUrl), keys.string("llm_key", openaiKey));
    // With only llm_url given, that one server is the best guess for the others: an endpoint
    // without a URL could not be called at all.
    String sharedUrl = openaiUrl != null ? openaiUrl : llm.url();
    var embedding = new Endpoint(keys.url("embedding_url", sharedUrl),
        keys.string("embedding_key", openaiKey));
    var rerank = new Endpoint(keys.url("rerank_url", sharedUrl), keys.string("rerank_key", openaiKey));
    if (llm.url() == null) {
      throw new ConfigException("openai_url (or llm_url) is required: the base URL of an "
          + "OpenAI-compatible server, e.g. http://localhost:8080");
    }
    String logLevel = keys.string("log_level", "info").toLowerCase();
    if (!LOG_LEVELS.contains(logLevel)) {
      throw new ConfigException("log_level must be one of " + LOG_LEVELS + ", not '" + logLevel + "'");
    }
    int contextLlm = keys.positiveInt("context_llm", DEFAULT_CONTEXT_LLM);
    var config = new Config(
        keys.url("homeserver", null),
        keys.string("user_id", null),
        keys.string("device_id", null),
        keys.string("access_token", null),
        keys.stringList("room_id", "a room id or alias"),
        allowedUsers(raw.containsKey("allowed_users") ? keys.stringList("allowed_users",
            "a user id or a pattern such as @*:example.org") : null),
        keys.string("database_url", null),
        keys.required("model_llm"),
        keys.string("model_embedding", "bge-m3"),
        rerankModel(keys.string("model_rerank", "bge-reranker-v2-m3")),
        contextLlm,
        keys.positiveInt("context_embedding", DEFAULT_CONTEXT_EMBEDDING),
        keys.positiveInt("recall_tokens", contextLlm / 8),
        new Sampling(keys.number("temperature", 0, 2, DEFAULT_TEMPERATURE),
            keys.number("top_p", 0, 1, DEFAULT_TOP_P), keys.number("min_p", 0, 1, DEFAULT_MIN_P),
            keys.number("repeat_penalty", 0.5, 2, DEFAULT_REPEAT_PENALTY),
            seed(keys.number("seed", 0, Long.MAX_VALUE, null))),
        llm,
        embedding,
        rerank,
        keys.seconds("request_timeout", DEFAULT_REQUEST_TIMEOUT),
        keys.seconds("sandbox_time_limit", DEFAULT_SANDBOX_TIME_LIMIT),
        keys.memorySize("sandbox_memory", DEFAULT_SANDBOX_MEMORY),
        keys.bool("sandbox_jit", false),
        keys.positiveInt("max_llm_calls_per_hour", DEFAULT_MAX_LLM_CALLS_PER_HOUR),
        Path.of(keys.string("files_dir", "files")),
        Path.of(keys.string("logs_dir", "logs")),
        Path.of(keys.string("state_dir", "state")),
        bytes(keys.memorySize("max_file_size", DEFAULT_MAX_FILE_SIZE)),
        bytes(keys.memorySize("files_quota", DEFAULT_FILES_QUOTA)),
        keys.bool("web_fetch", false),
        keys.stringList("web_domains", "a domain such as example.org"),
        keys.number("index_calls_per_document", 0, 100_000, DEFAULT_INDEX_CALLS).intValue(),
        keys.number("index_call_share", 0, 1, DEFAULT_INDEX_CALL_SHARE),
        keys.seconds("index_after_idle", DEFAULT_INDEX_AFTER_IDLE),
        keys.number("monitor_port", 0, 65535, (double) DEFAULT_MONITOR_PORT).intValue(),
        keys.string("monitor_bind", "127.0.0.1"),
        monitorToken(keys.string("monitor_token", null)),
        keys.number("monitor_prompts", 0, 1000, 20.0).intValue(),
        logLevel,
        keys.unknownKeyWarnings());
    if (!console) {
      for (String key : List.of("homeserver", "user_id", "access_token")) {
        if (keys.string(key, null) == null) {
          throw new ConfigException(key + " is required to run in Matrix but missing from the "
              + "config file: 'make login' (--login) writes it; or chat in the terminal with "
              + "'make console' (--console)");
        }
      }
      if (config.rooms().isEmpty()) { // room_id may be a list, which required() would refuse
        throw new ConfigException("room_id is required but missing from the config file");
      }
    }
    return config;
  }

  private static Long seed(Double seed) throws ConfigException {
    if (seed != null && seed != Math.floor(seed)) {
      throw new ConfigException("seed must be a whole number, not " + seed);
    }
    return seed == null ? null : seed.longValue();
  }

  /**
   * The monitor page's token, or null to make one. It goes into a link and a cookie as it is, so
   * only characters that need no escaping there; long enough not to be guessed.
   */
  private static String monitorToken(String token) throws ConfigException {
    if (token == null || token.isBlank()) {
      return null;
    }
    if (!token.strip().matches("[A-Za-z0-9._~-]{16,}")) {
      throw new ConfigException("monitor_token must be at least 16 letters, digits, '-', '_', "
          + "'.' or '~' (it goes into a link and a cookie as it is); leave it out and one is made");
    }
    return token.strip();
  }

  /** The reranker's model, or null for none ("none" in the config). */
  private static String rerankModel(String model) {
    return model.equalsIgnoreCase("none") ? null : model;
  }

  /** User ids and @*:server patterns; null (absent) means "the people in the configured rooms". */
  private static List<String> allowedUsers(List<String> users) throws ConfigException {
    if (users == null) {
      return null;
    }
    for (String user : users) {
      if (!user.matches("@[^:\\s]+:[^\\s]+")) {
        throw new ConfigException("allowed_users: '" + user + "' is not a user id like "
            + "@alice:example.org or a pattern like @*:example.org");
      }
    }
    return users;
  }

  private static long bytes(String size) {
    long n = Long.parseLong(size.substring(0, size.length() - 1));
    return n << (size.endsWith("g") ? 30 : 20);
  }

  /** Removes trailing slashes and a trailing /v1, since the client adds /v1/... itself. */
  static String normaliseUrl(String url) {
    String u = url.strip();
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    if (u.endsWith("/v1")) {
      u = u.substring(0, u.length() - 3);
    }
    return u;
  }

  @Override
  public String toString() {
    return "Config[homeserver=" + homeserver + ", user=" + userId + ", rooms=" + rooms
        + ", llm=" + llm + " model " + modelLlm + ", embedding=" + embedding
        + ", rerank=" + rerank + ", context_llm=" + contextLlm
        + ", database=" + (databaseUrl == null ? "none" : "set")
        + ", sandbox_time_limit=" + sandboxTimeLimit.toSeconds() + "s"
        + ", allowed_users=" + (allowedUsers == null ? "(the rooms' members)" : allowedUsers)
        + ", access_token=" + (accessToken == null ? "none" : "set") + "]";
  }

  /** Typed access to the raw YAML map; every error names its key. */
  private static final class Keys {
    private final Map<?, ?> raw;

    Keys(Map<?, ?> raw) {
      this.raw = raw;
    }

    String string(String key, String fallback) throws ConfigException {
      Object v = raw.get(key);
      if (v == null) {
        return fallback;
      }
      if (v instanceof Map || v instanceof List) {
        throw new ConfigException(key + " must be a single value, not a list or mapping");
      }
      String s = v.toString().strip();
      return s.isEmpty() ? fallback : s;
    }

    String required(String key) throws ConfigException {
      String v = string(key, null);
      if (v == null) {
        throw new ConfigException(key + " is required but missing from the config file");
      }
      return v;
    }

    String url(String key, String fallback) throws ConfigException {
      String v = string(key, fallback);
      if (v == null) {
        return null;
      }
      if (!v.startsWith("http://") && !v.startsWith("https://")) {
        throw new ConfigException(key + " must start with http:// or https://, not '" + v + "'");
      }
      return normaliseUrl(v);
    }

    List<String> stringList(String key, String what) throws ConfigException {
      Object v = raw.get(key);
      if (v == null) {
        return List.of();
      }
      if (v instanceof List<?> list) {
        var out = new ArrayList<String>();
        for (Object item : list) {
          if (item == null || item instanceof Map || item instanceof List) {
            throw new ConfigException(key + " must be " + what + ", or a list of them");
          }
          out.add(item.toString().strip());
        }
        return List.copyOf(out);
      }
      String one = string(key, null);
      return one == null ? List.of() : List.of(one);
    }

    int positiveInt(String key, int fallback) throws ConfigException {
      String v = string(key, null);
      if (v == null) {
        return fallback;
      }
      try {
        int n = Integer.parseInt(v);
        if (n > 0) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new ConfigException(key + " must be a positive whole number, not '" + v + "'");
    }

    Double number(String key, double min, double max, Double fallback) throws ConfigException {
      String v = string(key, null);
      if (v == null) {
        return fallback;
      }
      try {
        double n = Double.parseDouble(v);
        if (n >= min && n <= max) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new ConfigException(key + " must be a number from " + min + " to " + max + ", not '"
          + v + "'");
    }

    Duration seconds(String key, Duration fallback) throws ConfigException {
      String v = string(key, null);
      if (v == null) {
        return fallback;
      }
      try {
        double s = Double.parseDouble(v);
        if (s > 0) {
          return Duration.ofMillis(Math.round(s * 1000));
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new ConfigException(key + " must be a positive number of seconds, not '" + v + "'");
    }

    String memorySize(String key, String fallback) throws ConfigException {
      String v = string(key, fallback).toLowerCase();
      if (!v.matches("[1-9][0-9]*[mg]")) {
        throw new ConfigException(key + " must be a size like 384m or 1g, not '" + v + "'");
      }
      return v;
    }

    boolean bool(String key, boolean fallback) throws ConfigException {
      Object v = raw.get(key);
      if (v == null) {
        return fallback;
      }
      if (v instanceof Boolean b) {
        return b;
      }
      throw new ConfigException(key + " must be true or false, not '" + v + "'");
    }

    /** Unknown keys are warnings, not errors: a typo should be seen, an old key not fatal. */
    List<String> unknownKeyWarnings() {
      return raw.keySet().stream()
          .map(String::valueOf)
          .filter(key -> !KNOWN_KEYS.contains(key))
          .map(key -> "unknown config key '" + key + "' is ignored")
          .toList();
    }
  }
}
