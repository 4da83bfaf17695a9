package scrittabot.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import scrittabot.memory.TestDatabase;
import scrittabot.llm.ScriptedLlmServer;

/** The built jar, started as a user would start it, chatting through its terminal. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ConsoleIT {
  @TempDir
  Path dir;

  @Test
  void aLineTypedInGetsTheAgentsMessageBackAndSigtermExitsCleanly() throws Exception {
    try (var llm = ScriptedLlmServer.start()) {
      llm.respond(r -> r.lastUserText().contains("hello bot")
          ? "A greeting.\n```python\nsend_message('Hello, human!')\nsleep()\n```"
          : "```python\nsleep()\n```");
      Files.writeString(dir.resolve("config.yaml"), """
          openai_url: %s/v1
          openai_key: sk-test-secret-key-123
          model_llm: scripted
          log_level: debug
          database_url: %s
          """.formatted(llm.url(), TestDatabase.create("console_it")));
      try (var bot = ConsoleProcess.start(dir, "--console", "--config", "config.yaml")) {
        bot.type("hello bot");
        assertEquals("Hello, human!", bot.nextLine(Duration.ofSeconds(120)));
        assertEquals(0, bot.stop(Duration.ofSeconds(15)), "SIGTERM: exit 0 within seconds");
        String log = bot.log();
        assertTrue(log.contains("send_message('Hello, human!')"), "debug log shows the code");
        assertTrue(!log.contains("sk-test-secret-key-123"), "the key never reaches the log");
      }
    }
  }

  @Test
  void withSandboxJitTheChildRunsTheOptimisingCompiler() throws Exception {
    try (var llm = ScriptedLlmServer.start()) {
      llm.respond(r -> r.lastUserText().contains("add")
          ? "```python\nsend_message(str(sum(i * 2 for i in range(1000))))\nsleep()\n```"
          : "```python\nsleep()\n```");
      Files.writeString(dir.resolve("config.yaml"), """
          openai_url: %s
          model_llm: scripted
          sandbox_jit: true
          database_url: %s
          """.formatted(llm.url(), TestDatabase.create("console_it")));
      try (var bot = ConsoleProcess.start(dir, "--console", "--config", "config.yaml")) {
        bot.type("add it up");
        assertEquals("999000", bot.nextLine(Duration.ofSeconds(150)));
        String child = bot.process().descendants()
            .map(p -> String.join(" ", p.info().arguments().orElse(new String[0])))
            .filter(a -> a.contains("SandboxChild")).findFirst().orElse("");
        assertTrue(child.contains("-XX:+EnableJVMCI") && child.contains("--upgrade-module-path"),
            child);
        assertEquals(0, bot.stop(Duration.ofSeconds(15)));
      }
    }
  }

  @Test
  void commandLineMistakesAreOneLineAndNonZero() throws Exception {
    assertOneLineError("unknown option '--frobnicate'", "--frobnicate");
    assertOneLineError("cannot read config file", "--console", "--config", "missing.yaml");
    Files.writeString(dir.resolve("bad.yaml"), "openai_url: http://localhost:1\n");
    assertOneLineError("model_llm is required", "--console", "--config", "bad.yaml");
    try (var help = ConsoleProcess.start(dir, "--help")) {
      assertEquals(0, help.awaitExit(Duration.ofSeconds(30)));
      assertTrue(help.output().contains("--console"), help.output());
    }
  }

  private void assertOneLineError(String expected, String... args) throws Exception {
    try (var bot = ConsoleProcess.start(dir, args)) {
      assertEquals(2, bot.awaitExit(Duration.ofSeconds(30)));
      String err = bot.log().strip();
      assertTrue(err.contains(expected), err);
      assertEquals(1, err.lines().count(), err);
    }
  }
}
