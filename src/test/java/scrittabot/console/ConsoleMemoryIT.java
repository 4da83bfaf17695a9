package scrittabot.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import scrittabot.llm.ScriptedLlmServer;
import scrittabot.llm.ScriptedLlmServer.Message;
import scrittabot.llm.ScriptedLlmServer.Request;
import scrittabot.memory.DatabaseUrl;
import scrittabot.memory.TestDatabase;

/** The jar in console mode with its memory in PostgreSQL: restarts, outages, bursts. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ConsoleMemoryIT {
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final Pattern MESSAGE = Pattern.compile("<message [^>]*>\\n(.*?)\\n</message>",
      Pattern.DOTALL);

  @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
  Path dir;

  /** Echoes each message; "my name is ..." also sets a goal and a mood. Then sleeps. */
  private static String agent(Request request) {
    var code = new StringBuilder();
    Matcher m = MESSAGE.matcher(request.lastUserText());
    while (m.find()) {
      String text = m.group(1);
      if (text.startsWith("my name is ")) {
        code.append("add_goal('remember ").append(text.substring(11)).append("')\n")
            .append("increase_mood('happy')\n").append("print('noted')\n");
      }
      if (!text.startsWith("burst ")) {
        code.append("send_message('echo: ").append(text).append("')\n");
      }
    }
    return "Thinking.\n```python\n" + code + "sleep()\n```";
  }

  private ConsoleProcess start(ScriptedLlmServer llm, String database, String... extra)
      throws Exception {
    Files.writeString(dir.resolve("config.yaml"), """
        openai_url: %s
        model_llm: scripted
        database_url: %s
        %s
        """.formatted(llm.url(), database, String.join("\n", extra)));
    return ConsoleProcess.start(dir, "--console", "--config", "config.yaml");
  }

  private static void say(ConsoleProcess bot, String text) throws Exception {
    bot.type(text);
    assertEquals("echo: " + text, bot.nextLine(WAIT), bot.log());
  }

  @Test
  void afterKill9ThePromptGoesOnAsIfThereHadBeenNoRestart() throws Exception {
    String database = TestDatabase.create("console_restart");
    try (var llm = ScriptedLlmServer.start()) {
      llm.respond(ConsoleMemoryIT::agent);
      try (var bot = start(llm, database)) {
        say(bot, "I live in Turku");
        say(bot, "my name is Laura");
        Thread.sleep(1000); // the step's record goes to the database a moment after the reply
        bot.process().destroyForcibly().waitFor();
      }
      Request before = llm.requests().getLast();
      int requestsBefore = llm.requests().size();
      try (var bot = start(llm, database)) {
        say(bot, "what is my name?");
        assertEquals(requestsBefore + 1, llm.requests().size(), "asleep across the restart: no "
            + "step before the message");
        Request after = llm.requests().getLast();
        var expected = new ArrayList<>(before.messages().subList(0, before.messages().size() - 1));
        String last = before.lastUserText();
        expected.add(new Message("user", last.substring(0, last.lastIndexOf("\n<system time=")),
            List.of()));
        expected.add(new Message("assistant", agent(before), List.of()));
        assertEquals(expected, after.messages().subList(0, after.messages().size() - 1),
            "system prompt and dialogue as they would have been without the restart");
        String state = after.lastUserText();
        assertTrue(state.contains("1. remember Laura"), "the goal survived: " + state);
        assertTrue(state.contains("happy 1/10"), "the mood survived: " + state);
        assertTrue(state.contains("<python>"), "the output of the code before the kill comes "
            + "with the next message, as without a restart: " + state);
        assertEquals(0, bot.stop(Duration.ofSeconds(20)));
      }
    }
  }

  /** Stops the shared test server for a while: the other test classes do not run meanwhile. */
  @Test
  void theBotTalksOnWhileTheDatabaseIsAwayAndLosesNothing() throws Exception {
    String database = TestDatabase.create("console_outage");
    String log;
    try (var llm = ScriptedLlmServer.start()) {
      llm.respond(ConsoleMemoryIT::agent);
      try (var bot = start(llm, database)) {
        say(bot, "before the outage");
        TestDatabase.stopServer();
        try {
          say(bot, "while the database is away");
          Thread.sleep(12_000);
          say(bot, "still away");
        } finally {
          TestDatabase.startServer();
        }
        say(bot, "after the outage");
        assertEquals(0, bot.stop(Duration.ofSeconds(30)));
        bot.awaitExit(Duration.ofSeconds(5)); // and all it logged
        log = bot.log();
        assertTrue(log.contains("database away"), log);
      }
    }
    assertEquals(List.of("before the outage", "while the database is away", "still away",
        "after the outage"), query(database, "SELECT text FROM dialogue WHERE kind = 'message' "
        + "ORDER BY id"), log);
    assertEquals(List.of("4"), query(database, "SELECT count(*) FROM steps WHERE shown LIKE "
        + "'%<message%'"), "every step that showed a message is recorded:\n" + log);
  }

  @Test
  void aBurstOfAThousandMessagesIsKeptWholeAndShownAPartAtATime() throws Exception {
    String database = TestDatabase.create("console_burst");
    try (var llm = ScriptedLlmServer.start()) {
      llm.respond(ConsoleMemoryIT::agent);
      try (var bot = start(llm, database, "context_llm: 4096")) {
        var burst = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
          burst.append("burst ").append(i).append('\n');
        }
        bot.type(burst + "done");
        assertEquals("echo: done", bot.nextLine(WAIT), bot.log());
        Set<String> seen = new HashSet<>();
        for (Request r : llm.requests()) {
          Matcher m = MESSAGE.matcher(r.lastUserText());
          while (m.find()) {
            assertTrue(seen.add(m.group(1)), "shown once: " + m.group(1));
          }
        }
        assertEquals(1001, seen.size(), "every message reached the agent");
        assertTrue(llm.requests().size() > 3, "in several steps: " + llm.requests().size());
        assertTrue(llm.requests().stream().noneMatch(r -> r.lastUserText().contains(
            "characters cut")), "no message was cut to fit");
        assertEquals(0, bot.stop(Duration.ofSeconds(30)));
      }
    }
    assertEquals(List.of("1001"), query(database, "SELECT count(*) FROM dialogue "
        + "WHERE kind = 'message' AND step IS NOT NULL"));
  }

  /** The rows of a one-column query, as text. */
  private static List<String> query(String database, String sql) throws Exception {
    var url = DatabaseUrl.parse(database);
    try (var c = DriverManager.getConnection(url.jdbc(), url.user(), "");
        var s = c.createStatement()) {
      s.execute("SET search_path = scrittabot");
      var rows = new ArrayList<String>();
      try (ResultSet r = s.executeQuery(sql)) {
        while (r.next()) {
          rows.add(r.getString(1));
        }
      }
      return rows;
    }
  }
}
