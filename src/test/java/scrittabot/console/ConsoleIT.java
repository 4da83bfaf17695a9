package scrittabot.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import scrittabot.llm.ScriptedLlmServer;

/** The built jar, started as a user would start it, chatting through its terminal. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ConsoleIT {
  private static final Path JAR = Path.of("target/scrittabot.jar").toAbsolutePath();

  @TempDir
  Path dir;

  private Process start(String... args) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    var command = new java.util.ArrayList<>(List.of(java, "-jar", JAR.toString()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command).directory(dir.toFile()).start();
  }

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
          """.formatted(llm.url()));
      Process bot = start("--console", "--config", "config.yaml");
      BlockingQueue<String> out = lines(bot.inputReader(StandardCharsets.UTF_8));
      BlockingQueue<String> err = lines(bot.errorReader(StandardCharsets.UTF_8));
      Writer in = bot.outputWriter(StandardCharsets.UTF_8);
      in.write("hello bot\n");
      in.flush();
      assertEquals("Hello, human!", out.poll(120, TimeUnit.SECONDS));
      bot.destroy(); // SIGTERM
      assertTrue(bot.waitFor(15, TimeUnit.SECONDS), "exits within a few seconds of SIGTERM");
      assertEquals(0, bot.exitValue());
      String log = String.join("\n", err);
      assertTrue(log.contains("send_message('Hello, human!')"), "debug log shows the code");
      assertTrue(!log.contains("sk-test-secret-key-123"), "the key never reaches the log");
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
          """.formatted(llm.url()));
      Process bot = start("--console", "--config", "config.yaml");
      BlockingQueue<String> out = lines(bot.inputReader(StandardCharsets.UTF_8));
      lines(bot.errorReader(StandardCharsets.UTF_8));
      Writer in = bot.outputWriter(StandardCharsets.UTF_8);
      in.write("add it up\n");
      in.flush();
      assertEquals("999000", out.poll(150, TimeUnit.SECONDS));
      String child = bot.descendants().map(p -> String.join(" ", p.info().arguments()
          .orElse(new String[0]))).filter(a -> a.contains("SandboxChild")).findFirst().orElse("");
      assertTrue(child.contains("-XX:+EnableJVMCI") && child.contains("--upgrade-module-path"),
          child);
      bot.destroy();
      assertTrue(bot.waitFor(15, TimeUnit.SECONDS));
    }
  }

  @Test
  void commandLineMistakesAreOneLineAndNonZero() throws Exception {
    assertOneLineError(start("--frobnicate"), "unknown option '--frobnicate'");
    assertOneLineError(start("--console", "--config", "missing.yaml"), "cannot read config file");
    Files.writeString(dir.resolve("bad.yaml"), "openai_url: http://localhost:1\n");
    assertOneLineError(start("--console", "--config", "bad.yaml"), "model_llm is required");
    Process help = start("--help");
    assertTrue(new String(help.getInputStream().readAllBytes()).contains("--console"));
    assertEquals(0, help.waitFor());
  }

  private static void assertOneLineError(Process p, String expected) throws Exception {
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue());
    assertTrue(err.contains(expected), err);
    assertEquals(1, err.lines().count(), err);
  }

  private static BlockingQueue<String> lines(BufferedReader reader) {
    var queue = new LinkedBlockingQueue<String>();
    Thread.ofPlatform().daemon().start(() -> {
      try (reader) {
        String line;
        while ((line = reader.readLine()) != null) {
          queue.add(line);
        }
      } catch (IOException e) {
        // the process ended
      }
    });
    return queue;
  }

}
