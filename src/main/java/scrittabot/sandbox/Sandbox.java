package scrittabot.sandbox;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Json;
import scrittabot.tools.ToolSet;

/**
 * Runs the agent's Python code in a child JVM ({@link SandboxChild}) and carries its tool calls
 * out here, in the bot.
 *
 * <p>Protocol, one JSON object per line. Parent to child: {@code init} (tool source, files
 * folder), {@code run} (code, time limit), and the {@code {"value"|"error"}} answer to each tool
 * call. Child to parent: {@code ready}, {@code call} (tool, JSON arguments), {@code done} (output,
 * error). The child interrupts code at the time limit itself; when that does not work (a builtin
 * looping inside the runtime) or the child dies (out of memory), the parent kills it, starts a
 * fresh one and reports that the Python state was reset.
 *
 * <p>The calling thread reads the child's answers itself (no reader thread in between: each
 * hop between threads costs a wake-up on every tool call); a timer kills the child when an
 * answer is overdue, which ends the read.
 */
public final class Sandbox implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Sandbox.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration KILL_GRACE = Duration.ofSeconds(3);
  /** The exit code of a JVM run with -XX:+ExitOnOutOfMemoryError that ran out of heap. */
  private static final int OUT_OF_MEMORY_EXIT = 3;
  private static final ScheduledThreadPoolExecutor TIMER = new ScheduledThreadPoolExecutor(1, r -> {
    var t = new Thread(r, "sandbox-timer");
    t.setDaemon(true);
    return t;
  });

  static {
    TIMER.setRemoveOnCancelPolicy(true);
  }

  /**
   * How to start the child. {@code memory} is its -Xmx, e.g. 384m; {@code jit} runs GraalVM's
   * optimising compiler in it (faster loops once warm, slower start, more memory).
   */
  public record Settings(Path filesDir, Duration timeLimit, String memory, boolean jit) {
    public Settings(Path filesDir, Duration timeLimit, String memory) {
      this(filesDir, timeLimit, memory, false);
    }
  }

  private final Settings settings;
  private final ToolSet tools;
  private volatile Child child;
  private volatile boolean closed;

  public Sandbox(Settings settings, ToolSet tools) {
    this.settings = settings;
    this.tools = tools;
  }

  /** Starts the child in the background; it boots while the bot does other things. */
  public synchronized void start() {
    if (child == null && !closed) {
      child = new Child();
    }
  }

  /** Starts the child if needed and waits until it is ready; false if it failed to start. */
  public synchronized boolean awaitReady() {
    start();
    try {
      current().awaitReady();
      return true;
    } catch (ChildDied e) {
      log.warn("sandbox: {}", e.getMessage());
      restart();
      return false;
    }
  }

  /** Runs one code block; never throws for anything the code does. */
  public synchronized Execution run(String code) {
    start();
    try {
      return runIn(current(), code);
    } catch (ChildDied e) {
      if (closed) {
        return new Execution("", "SandboxError: the bot is shutting down", "shutting down");
      }
      String reason = e.getMessage();
      log.warn("sandbox: {}; starting a fresh one", reason);
      restart();
      return new Execution("", "SandboxError: " + reason, reason);
    }
  }

  /**
   * Stops the child for good, also from another thread while code runs (at shutdown): the kill
   * ends the running code's read at once.
   */
  @Override
  public void close() {
    closed = true;
    Child c = child;
    if (c != null) {
      c.kill();
    }
  }

  private void restart() {
    Child c = child;
    child = null;
    if (c != null) {
      c.kill();
    }
    start();
  }

  private Child current() throws ChildDied {
    Child c = child;
    if (c == null) {
      throw new ChildDied("the sandbox is closed");
    }
    return c;
  }

  private Execution runIn(Child c, String code) throws ChildDied {
    c.awaitReady();
    c.send(Map.of("op", "run", "code", code, "limit_ms", settings.timeLimit().toMillis()));
    // The child interrupts at the time limit itself. Killing waits a grace period longer, plus
    // the time of tool calls carried out here (the interrupt lands when they return), up to a cap.
    long start = System.nanoTime();
    long deadline = start + settings.timeLimit().plus(KILL_GRACE).toNanos();
    long hardDeadline = start + settings.timeLimit().multipliedBy(2).plus(KILL_GRACE).toNanos();
    while (true) {
      String line = c.readLine(deadline);
      if (line == null) {
        throw new ChildDied("the code did not stop at the time limit of "
            + settings.timeLimit().toSeconds() + " s and the Python process was killed;"
            + " all Python variables are gone");
      }
      Map<String, Object> message = c.parse(line);
      switch (String.valueOf(message.get("op"))) {
        case "call" -> {
          long callStart = System.nanoTime();
          c.sendLine(tools.call((String) message.get("tool"), (String) message.get("args")));
          deadline = Math.min(deadline + System.nanoTime() - callStart, hardDeadline);
        }
        case "done" -> {
          return new Execution((String) message.get("output"), (String) message.get("error"),
              null);
        }
        default -> throw c.died("sent an unexpected message: " + Json.abbreviate(line, 200));
      }
    }
  }

  /** The child process went away or broke the protocol. */
  private static final class ChildDied extends Exception {
    ChildDied(String message) {
      super(message);
    }
  }

  /** One child JVM; its stderr is logged by a thread of its own. */
  private final class Child {
    final Process process;
    final Writer stdin;
    final BufferedReader stdout;
    private boolean ready;

    Child() {
      try {
        Files.createDirectories(settings.filesDir());
        var builder = new ProcessBuilder(ChildCommand.build(settings));
        // The child must not see the bot's environment: keys may be there.
        builder.environment().keySet().retainAll(List.of("PATH", "HOME", "LANG", "TMPDIR"));
        process = builder.start();
      } catch (IOException e) {
        throw new IllegalStateException("cannot start the sandbox JVM: " + e.getMessage(), e);
      }
      stdin = process.outputWriter(StandardCharsets.UTF_8);
      stdout = process.inputReader(StandardCharsets.UTF_8);
      Thread.ofPlatform().daemon().name("sandbox-stderr").start(this::readStderr);
      send(Map.of("op", "init", "tools", tools.pythonSource(),
          "files", settings.filesDir().toAbsolutePath().toString()));
    }

    void awaitReady() throws ChildDied {
      if (ready) {
        return;
      }
      String line = readLine(System.nanoTime() + START_TIMEOUT.toNanos());
      if (line == null) {
        throw new ChildDied("the Python sandbox did not start within "
            + START_TIMEOUT.toSeconds() + " s");
      }
      if (!"ready".equals(parse(line).get("op"))) {
        throw died("did not start: " + Json.abbreviate(line, 200));
      }
      ready = true;
      log.info("sandbox ready (pid {})", process.pid());
    }

    /**
     * The next protocol line; null when none came before {@code deadline} (System.nanoTime),
     * in which case the child has been killed. Other lines on stdout (the JVM's own warnings)
     * are logged and skipped.
     */
    String readLine(long deadline) throws ChildDied {
      var overdue = new AtomicBoolean();
      ScheduledFuture<?> alarm = TIMER.schedule(() -> {
        overdue.set(true);
        process.destroyForcibly();
      }, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      try {
        String line;
        while ((line = stdout.readLine()) != null && !line.startsWith("{")) {
          log.debug("sandbox (stdout): {}", line);
        }
        if (line == null && !overdue.get()) {
          throw died("the Python process ended");
        }
        return overdue.get() ? null : line;
      } catch (IOException e) {
        if (overdue.get()) {
          return null;
        }
        throw died("its output failed: " + e.getMessage());
      } finally {
        alarm.cancel(false);
      }
    }

    void send(Map<String, Object> message) {
      sendLine(Json.write(message));
    }

    /** Writes one protocol line; a tool's JSON answer goes through as it is. */
    void sendLine(String json) {
      try {
        stdin.write(json);
        stdin.write('\n');
        stdin.flush();
      } catch (IOException e) {
        log.debug("sandbox: cannot write to the child: {}", e.toString()); // seen as EOF next
      }
    }

    Map<String, Object> parse(String line) throws ChildDied {
      try {
        return Json.parseObject(line);
      } catch (IllegalArgumentException e) {
        throw died("sent a line that is not JSON: " + Json.abbreviate(line, 200));
      }
    }

    ChildDied died(String what) {
      try {
        process.waitFor(2, TimeUnit.SECONDS); // an exiting child first, to read its exit code
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      kill();
      int exit = process.exitValue();
      if (exit == OUT_OF_MEMORY_EXIT) {
        return new ChildDied("the code used more than the sandbox's " + settings.memory()
            + " of memory and the Python process was stopped; all Python variables are gone");
      }
      return new ChildDied("the Python process failed (" + what + ", exit code " + exit
          + "); all Python variables are gone");
    }

    void kill() {
      process.destroyForcibly(); // SIGKILL: code may have changed signal handling
      try {
        process.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private void readStderr() {
      try (var reader = new BufferedReader(
          new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
          log.debug("sandbox: {}", line);
        }
      } catch (IOException e) {
        log.debug("sandbox stderr closed: {}", e.toString());
      }
    }
  }
}
