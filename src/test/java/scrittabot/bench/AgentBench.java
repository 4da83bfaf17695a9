package scrittabot.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import scrittabot.Json;
import scrittabot.console.ConsoleProcess;
import scrittabot.memory.TestDatabase;

/**
 * The agent with a real model: the built jar in console mode against an OpenAI-compatible server
 * (llama.cpp), a fresh database per run, and a scripted user who types a fixed list of turns
 * whose outcomes are checked from what the bot sent and stored. Run by {@code make bench-agent
 * LLM_URL=...}; prints, per run and over all runs, the scenario results and what the agent cost.
 *
 * <p>Settings from the environment: RUNS (3), SEED (first run's seed, then +1), CONTEXT
 * (context_llm, 4096), TURN_TIMEOUT seconds (300), and EXTRA: config lines added as they are
 * (e.g. "temperature: 0"), to compare settings.
 */
public final class AgentBench {
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration QUIET_WATCH = Duration.ofSeconds(45);

  /** One turn of the scripted user: lines typed at once, and what must be true afterwards. */
  record Turn(String name, List<String> lines, Check check) {}

  @FunctionalInterface
  interface Check {
    /** Null when the outcome is right; else what was wrong. */
    String verify(Outcome outcome) throws SQLException;
  }

  /**
   * What a turn left behind: the messages the agent sent during it, and the database; and the
   * agent's state (goals) as it was before the turn.
   */
  record Outcome(List<String> sent, Connection db, long firstStep, long lastStep,
      String agentBefore) {
    boolean said(Predicate<String> test) {
      return sent.stream().anyMatch(test);
    }

    boolean saidAny(String... words) {
      return said(s -> {
        String lower = s.toLowerCase(Locale.ROOT).replace(",", "");
        for (String w : words) {
          if (lower.contains(w.toLowerCase(Locale.ROOT))) {
            return true;
          }
        }
        return false;
      });
    }

    String state(String key) throws SQLException {
      return AgentBench.state(db, key, "");
    }

    String sentText() {
      return sent.isEmpty() ? "(nothing sent)" : String.join(" | ", sent);
    }
  }

  static List<Turn> scenario() {
    return List.of(
        new Turn("greeting, no borrowed names", List.of(
            "Hi! I'm Laura. I live in Turku and I work as a nurse."),
            o -> !o.sent().isEmpty() && !o.saidAny("anna", "alice") ? null : o.sentText()),
        new Turn("a product", List.of("What is 17 times 23?"),
            o -> o.saidAny("391") ? null : o.sentText()),
        new Turn("a unit conversion", List.of("How many kilometres are 26.2 miles?"),
            o -> o.saidAny("42.1", "42.2") ? null : o.sentText()),
        new Turn("the user's name", List.of("Do you remember my name?"),
            o -> o.saidAny("laura") ? null : o.sentText()),
        new Turn("a note made", List.of("Please make a note: my favourite colour is green."),
            o -> notes(o.db()).stream().anyMatch(n -> n.toLowerCase(Locale.ROOT)
                .contains("green")) ? null : "notes: " + notes(o.db())),
        new Turn("an error, fixed and retried", List.of(
            "Use numpy to compute the mean of 4, 8, 15 and 16, and tell me the result."),
            o -> o.saidAny("10.75") ? null : o.sentText()),
        new Turn("a goal set", List.of(
            "Please add a goal for yourself: ask me about my trip to Rome next week."),
            o -> o.state("agent").contains("Rome") ? null : "state: " + o.state("agent")),
        new Turn("a power", List.of("What is 2 to the power of 20?"),
            o -> o.saidAny("1048576") ? null : o.sentText()),
        new Turn("a word backwards", List.of("Write the word 'scritta' backwards, please."),
            o -> o.saidAny("attircs") ? null : o.sentText()),
        new Turn("two messages in one step", List.of("What is 5 plus 7?",
            "And what is 6 times 9?"),
            o -> o.saidAny("12") && o.saidAny("54") && oneStep(o) ? null
                : o.sentText() + (oneStep(o) ? "" : " (not one step)")),
        new Turn("a goal deleted", List.of("I'm back from Rome now, so you can delete that goal."),
            o -> !o.agentBefore().contains("Rome") ? "there was no goal to delete"
                : !o.state("agent").contains("Rome") ? null : "state: " + o.state("agent")),
        new Turn("Finnish answered in Finnish", List.of("Mikä on Suomen pääkaupunki?"),
            o -> o.saidAny("helsinki") && o.said(AgentBench::looksFinnish) ? null : o.sentText()),
        new Turn("a note found", List.of("What is my favourite colour? Look in your notes."),
            o -> o.saidAny("green") ? null : o.sentText()),
        // three facts in three messages are a longer answer too: the turn's messages count
        new Turn("a longer answer", List.of("Tell me three fun facts about octopuses."),
            o -> String.join(" ", o.sent()).length() > 100 ? null : o.sentText()),
        new Turn("another longer answer", List.of(
            "Explain in a few sentences how a rainbow forms."),
            o -> String.join(" ", o.sent()).length() > 100 ? null : o.sentText()),
        new Turn("a story", List.of(
            "Write a short story of about 200 words about a lighthouse keeper."),
            o -> o.said(t -> t.length() > 600) ? null : o.sentText()),
        new Turn("a fact from long ago", List.of("Which city do I live in?"),
            o -> o.saidAny("turku") ? null : o.sentText()),
        new Turn("quiet for a while", List.of("Please stop talking for a while, say 10 minutes."),
            AgentBench::sleepsAWhile),
        new Turn("goodbye", List.of("Thanks, that's all for now. Bye!"),
            o -> !o.sent().isEmpty() ? null : o.sentText()));
  }

  private static boolean looksFinnish(String text) {
    String t = " " + text.toLowerCase(Locale.ROOT) + " ";
    return (t.contains(" on ") || t.contains("pääkaupunki") || t.contains("suomen"))
        && !t.contains(" is ");
  }

  private static String sleepsAWhile(Outcome o) throws SQLException {
    var sleep = Json.parseObject(o.state("sleep"));
    if (!Boolean.TRUE.equals(sleep.get("sleeping")) || !(sleep.get("until") instanceof String u)) {
      return "sleep: " + sleep;
    }
    long minutes = Duration.between(Instant.now(), Instant.parse(u)).toMinutes();
    return minutes >= 3 && minutes <= 60 ? null : "sleeps " + minutes + " min";
  }

  /** Whether both messages of the turn were shown in one step. */
  private static boolean oneStep(Outcome o) {
    try (var s = o.db().prepareStatement("SELECT count(DISTINCT step) FROM scrittabot.dialogue "
        + "WHERE kind = 'message' AND step BETWEEN ? AND ?")) {
      s.setLong(1, o.firstStep());
      s.setLong(2, o.lastStep());
      var rs = s.executeQuery();
      return rs.next() && rs.getInt(1) == 1;
    } catch (SQLException e) {
      return false;
    }
  }

  private static List<String> notes(Connection db) throws SQLException {
    var out = new ArrayList<String>();
    try (var s = db.createStatement(); var rs = s.executeQuery(
        "SELECT summary FROM scrittabot.notes WHERE superseded IS NULL")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /** The figures of one run. */
  record Result(String model, long seed, Map<String, String> failures, int scenarios,
      int userMessages, int steps, int stepsAtStart, int stepsWhileIdle, int unprompted,
      int duplicates, int refusedRepeats, int noCode, double meanCompletion, long reprocessed,
      long newTokens, int shrinkSteps, int timeouts, boolean factOutOfWindow, double seconds) {
    int passed() {
      return scenarios - failures.size();
    }
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    if (args.length < 1) {
      System.err.println("usage: AgentBench LLM_URL (make bench-agent LLM_URL=http://host:port)");
      System.exit(2);
    }
    String url = args[0].replaceAll("/+$", "").replaceAll("/v1$", "");
    int runs = Integer.parseInt(System.getenv().getOrDefault("RUNS", "3"));
    long seed = Long.parseLong(System.getenv().getOrDefault("SEED", "1"));
    String model = model(url);
    System.out.printf("Agent benchmark: %s at %s, %d runs from seed %d, context_llm %s%s%n",
        model, url, runs, seed, System.getenv().getOrDefault("CONTEXT", "4096"),
        extra().isBlank() ? "" : ", with " + extra().replace("\n", ", "));
    var results = new ArrayList<Result>();
    for (int i = 0; i < runs; i++) {
      results.add(new AgentBench(url, model, seed + i).run());
      print(List.of(results.getLast()), "run " + (i + 1));
    }
    print(results, "all runs");
    System.exit(0);
  }

  private static String extra() {
    return System.getenv().getOrDefault("EXTRA", "").replace("\\n", "\n");
  }

  private final String url;
  private final String model;
  private final long seed;
  private final HttpClient http = HttpClient.newHttpClient();

  private AgentBench(String url, String model, long seed) {
    this.url = url;
    this.model = model;
    this.seed = seed;
  }

  private Result run() throws Exception {
    long started = System.nanoTime();
    String database = TestDatabase.create("agent_bench");
    Path dir = Files.createTempDirectory("agent-bench");
    Files.writeString(dir.resolve("config.yaml"), """
        openai_url: %s
        model_llm: %s
        model_embedding: e5
        model_rerank: none
        database_url: %s
        context_llm: %s
        seed: %d
        request_timeout: 600
        log_level: info
        %s
        """.formatted(url, model, database, System.getenv().getOrDefault("CONTEXT", "4096"),
        seed, extra()));
    Duration turnTimeout = Duration.ofSeconds(Long.parseLong(
        System.getenv().getOrDefault("TURN_TIMEOUT", "300")));
    var failures = new LinkedHashMap<String, String>();
    int timeouts = 0;
    int typed = 0;
    boolean outOfWindow = false;
    long turnTurku = 0;
    try (var bot = ConsoleProcess.start(dir, "--console", "--config", "config.yaml");
        Connection db = connect(database)) {
      waitForSchema(db);
      Thread.sleep(QUIET_WATCH.toMillis());
      int stepsAtStart = (int) lastStep(db);
      List<Turn> turns = scenario();
      for (Turn turn : turns) {
        long before = lastStep(db);
        String agentBefore = state(db, "agent", "");
        if (turn.name().equals("a fact from long ago")) {
          outOfWindow = windowStart(db) > turnTurku;
        }
        for (String line : turn.lines()) {
          bot.type(line);
          typed++;
        }
        if (!awaitIdle(db, before, turnTimeout)) {
          timeouts++;
        }
        long after = lastStep(db);
        if (turn.name().startsWith("greeting")) {
          turnTurku = firstMessageStep(db); // the step that showed where the user lives
        }
        var outcome = new Outcome(sent(db, before + 1, after), db, before + 1, after,
            agentBefore);
        String wrong = turn.check().verify(outcome);
        System.out.printf("  %-32s %s%s%n", turn.name(), wrong == null ? "ok" : "FAILED: ",
            wrong == null ? "" : Json.abbreviate(wrong, 300));
        if (wrong != null) {
          failures.put(turn.name(), wrong);
        }
      }
      long end = lastStep(db);
      Thread.sleep(QUIET_WATCH.toMillis());
      int whileIdle = (int) (lastStep(db) - end);
      bot.stop(Duration.ofSeconds(30));
      transcript(db);
      return figures(db, failures, turns.size(), typed, stepsAtStart, whileIdle, timeouts,
          outOfWindow, (System.nanoTime() - started) / 1e9);
    }
  }

  /** Waits until the agent has taken a step since {@code before}, sleeps and has nothing new. */
  private boolean awaitIdle(Connection db, long before, Duration timeout) throws Exception {
    Instant deadline = Instant.now().plus(timeout);
    long seen = -1;
    while (Instant.now().isBefore(deadline)) {
      Thread.sleep(POLL.toMillis());
      long last = lastStep(db);
      boolean sleeping = Boolean.TRUE.equals(Json.parseObject(state(db, "sleep", "{}"))
          .get("sleeping"));
      if (last > before && sleeping && unshownMessages(db) == 0) {
        if (last == seen) {
          return true; // the same for two polls: the step's record has landed
        }
        seen = last;
      } else {
        seen = -1;
      }
    }
    return false;
  }

  private Result figures(Connection db, Map<String, String> failures, int scenarios, int typed,
      int stepsAtStart, int whileIdle, int timeouts, boolean outOfWindow, double seconds)
      throws Exception {
    int steps = 0;
    int unprompted = 0;
    int duplicates = 0;
    int refused = 0;
    int noCode = 0;
    long completion = 0;
    long reprocessed = 0;
    long fresh = 0;
    int shrinks = 0;
    boolean reason = false;
    var sentSinceMessage = new HashMap<String, List<String>>();
    String previousReply = null;
    int previousPrompt = 0;
    try (var s = db.createStatement(); var rs = s.executeQuery("SELECT step, shown, reply, "
        + "prompt_tokens, cached_tokens, completion_tokens, info, (SELECT count(*) FROM "
        + "scrittabot.dialogue d WHERE d.step = steps.step AND d.kind IN ('message', 'file', "
        + "'wakeup')) FROM scrittabot.steps ORDER BY step")) {
      while (rs.next()) {
        steps++;
        String shown = rs.getString(2);
        String reply = rs.getString(3);
        int prompt = rs.getInt(4);
        int cached = rs.getInt(5);
        completion += rs.getInt(6);
        var info = Json.parseObject(rs.getString(7));
        if (rs.getInt(8) > 0) {
          reason = true;
          sentSinceMessage.clear();
        }
        var blocks = new scrittabot.kernel.CodeBlocks();
        blocks.feed(reply);
        blocks.finish();
        if (blocks.found() == 0) {
          noCode++;
        }
        if (shown.contains("already sent this same message")) {
          refused++;
        }
        List<?> sent = info.get("sent") instanceof List<?> l ? l : List.of();
        for (Object o : sent) {
          var m = (Map<?, ?>) o;
          String text = String.valueOf(m.get("text")).strip();
          if (!reason) {
            unprompted++;
          }
          var earlier = sentSinceMessage.computeIfAbsent(String.valueOf(m.get("room")),
              r -> new ArrayList<>());
          if (earlier.contains(text)) {
            duplicates++;
          }
          earlier.add(text);
        }
        if (!sent.isEmpty()) {
          reason = false;
        }
        // The tokens this prompt had that the previous one lacked: the previous reply and this
        // step's last message (its events, state and reminder). A shrunk dialogue is a cache
        // miss by design, counted apart.
        if (previousReply != null && prompt > 0 && cached >= 0) {
          if (prompt < previousPrompt) {
            shrinks++;
          } else {
            String last = shown + "\n" + info.get("state") + "\n" + reminder();
            fresh += newTokens(previousReply, last);
            reprocessed += prompt - cached;
          }
        }
        previousReply = reply;
        previousPrompt = prompt;
      }
    }
    return new Result(model, seed, failures, scenarios, typed, steps, stepsAtStart, whileIdle,
        unprompted, duplicates, refused, noCode, steps == 0 ? 0 : (double) completion / steps,
        reprocessed, fresh, shrinks, timeouts, outOfWindow, seconds);
  }

  /** Every step as the model saw and answered it, to read what a user would have seen. */
  private void transcript(Connection db) throws Exception {
    var out = new StringBuilder();
    try (var s = db.createStatement(); var rs = s.executeQuery(
        "SELECT step, shown, reply, info FROM scrittabot.steps ORDER BY step")) {
      while (rs.next()) {
        var info = Json.parseObject(rs.getString(4));
        out.append("## step ").append(rs.getLong(1)).append("\n\n").append(rs.getString(2))
            .append("\n").append(info.get("state")).append("\n\n--- reply:\n")
            .append(rs.getString(3)).append("\n\n--- sent: ").append(info.get("sent"))
            .append("\n\n");
      }
    }
    Path file = Path.of("target/agent-bench", model + "-seed" + seed + ".md");
    Files.createDirectories(file.getParent());
    Files.writeString(file, out);
    System.out.println("  transcript: " + file);
  }

  /** The line the bot puts after the state, as it does. */
  private static String reminder() throws java.io.IOException {
    try (var in = AgentBench.class.getResourceAsStream("/scrittabot/context/reminder.md")) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
    }
  }

  private static void print(List<Result> results, String title) {
    var table = new Table("Agent benchmark, " + results.getFirst().model() + ", " + title,
        "measure", "value", "goal (1.5B)");
    double n = results.size();
    double passed = results.stream().mapToInt(Result::passed).sum() / n;
    int scenarios = results.getFirst().scenarios();
    double typed = results.stream().mapToInt(Result::userMessages).sum();
    double steps = results.stream().mapToInt(Result::steps).sum();
    long fresh = results.stream().mapToLong(Result::newTokens).sum();
    long re = results.stream().mapToLong(Result::reprocessed).sum();
    table.row("scenarios passed (mean)", "%.1f of %d".formatted(passed, scenarios),
        // The goal: 12 of 15 scenarios, so 80 % of however many there are.
        ">= %.1f (80 %%)".formatted(scenarios * 0.8));
    table.row("steps at start / while idle at the end",
        results.stream().mapToInt(Result::stepsAtStart).sum() + " / "
            + results.stream().mapToInt(Result::stepsWhileIdle).sum(), "0 / 0");
    table.row("messages sent without a reason", results.stream().mapToInt(Result::unprompted)
        .sum(), "0");
    table.row("duplicate messages sent (refused repeats)", results.stream()
        .mapToInt(Result::duplicates).sum() + " (" + results.stream()
        .mapToInt(Result::refusedRepeats).sum() + ")", "0");
    table.row("LLM calls per user message", "%.2f".formatted(steps / typed), "< 2");
    table.row("steps without code", results.stream().mapToInt(Result::noCode).sum() + " of "
        + (int) steps, "");
    table.row("mean completion tokens", "%.0f".formatted(results.stream()
        .mapToDouble(Result::meanCompletion).sum() / n), "");
    table.row("prompt tokens re-processed / new", "%d / %d = %.2f".formatted(re, fresh,
        fresh == 0 ? 0 : (double) re / fresh), "<= 1.10");
    table.row("steps after a dialogue shrink", results.stream().mapToInt(Result::shrinkSteps)
        .sum(), "");
    table.row("turns that timed out", results.stream().mapToInt(Result::timeouts).sum(), "0");
    table.row("first fact out of the window when asked", results.stream()
        .filter(Result::factOutOfWindow).count() + " of " + results.size(), "");
    table.row("minutes", "%.1f".formatted(results.stream().mapToDouble(Result::seconds).sum()
        / 60), "");
    var failed = new LinkedHashMap<String, Integer>();
    results.forEach(r -> r.failures().keySet().forEach(k -> failed.merge(k, 1, Integer::sum)));
    if (!failed.isEmpty()) {
      table.note("failed: " + failed);
    }
    table.print();
  }

  /**
   * The tokens a prompt adds to the previous one when nothing else changed: the previous reply
   * and the new last message, with the chat template's own tokens around them. Counted as the
   * server renders them: the template applied with and without the two messages.
   */
  private int newTokens(String previousReply, String last) throws Exception {
    var system = Map.of("role", "system", "content", "S");
    return tokens(template(List.of(system, Map.of("role", "assistant", "content", previousReply),
        Map.of("role", "user", "content", last)))) - tokens(template(List.of(system)));
  }

  private String template(List<Map<String, String>> messages) throws Exception {
    Object prompt = Json.at(post("/apply-template", Map.of("messages", messages)), "prompt");
    if (!(prompt instanceof String p)) {
      throw new IllegalStateException("/apply-template gave no prompt");
    }
    return p;
  }

  private int tokens(String text) throws Exception {
    if (!(Json.at(post("/tokenize", Map.of("content", text)), "tokens") instanceof List<?> t)) {
      throw new IllegalStateException("/tokenize gave no tokens");
    }
    return t.size();
  }

  private Object post(String path, Map<String, Object> payload) throws Exception {
    var response = http.send(HttpRequest.newBuilder(URI.create(url + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(Json.write(payload))).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(path + " answered " + response.statusCode() + ": "
          + response.body());
    }
    return Json.parse(response.body());
  }

  private static String model(String url) throws Exception {
    var response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create(url + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString());
    if (Json.at(Json.parse(response.body()), "data", 0, "id") instanceof String id) {
      return id;
    }
    throw new IllegalStateException("no model at " + url + "/v1/models: " + response.body());
  }

  private static Connection connect(String database) throws SQLException {
    // postgresql://user@host:port/db, the form TestDatabase gives
    String rest = database.substring("postgresql://".length());
    String user = rest.substring(0, rest.indexOf('@'));
    return DriverManager.getConnection("jdbc:postgresql://" + rest.substring(rest.indexOf('@')
        + 1), user, "");
  }

  private static void waitForSchema(Connection db) throws Exception {
    for (int i = 0; i < 120; i++) {
      try {
        lastStep(db);
        return;
      } catch (SQLException e) {
        Thread.sleep(500);
      }
    }
    throw new IllegalStateException("the bot did not create its schema within a minute");
  }

  private static long lastStep(Connection db) throws SQLException {
    try (var s = db.createStatement();
        var rs = s.executeQuery("SELECT coalesce(max(step), 0) FROM scrittabot.steps")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The step that showed the first message. */
  private static long firstMessageStep(Connection db) throws SQLException {
    try (var s = db.createStatement(); var rs = s.executeQuery("SELECT coalesce(step, 0) FROM "
        + "scrittabot.dialogue WHERE kind = 'message' ORDER BY id LIMIT 1")) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  private static long windowStart(Connection db) throws SQLException {
    var prompt = Json.parseObject(state(db, "prompt", "{}"));
    return prompt.get("window_start") instanceof Number n ? n.longValue() : 1;
  }

  private static int unshownMessages(Connection db) throws SQLException {
    try (var s = db.createStatement(); var rs = s.executeQuery("SELECT count(*) FROM "
        + "scrittabot.dialogue WHERE kind = 'message' AND step IS NULL AND NOT dropped")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static String state(Connection db, String key, String fallback) throws SQLException {
    try (var s = db.prepareStatement("SELECT value FROM scrittabot.state WHERE key = ?")) {
      s.setString(1, key);
      var rs = s.executeQuery();
      return rs.next() ? rs.getString(1) : fallback;
    }
  }

  /** The messages sent in steps {@code from} to {@code to}. */
  private static List<String> sent(Connection db, long from, long to) throws SQLException {
    var out = new ArrayList<String>();
    try (var s = db.prepareStatement("SELECT info FROM scrittabot.steps WHERE step BETWEEN ? "
        + "AND ? ORDER BY step")) {
      s.setLong(1, from);
      s.setLong(2, to);
      var rs = s.executeQuery();
      while (rs.next()) {
        if (Json.parseObject(rs.getString(1)).get("sent") instanceof List<?> l) {
          l.forEach(m -> out.add(String.valueOf(((Map<?, ?>) m).get("text"))));
        }
      }
    }
    return out;
  }
}
