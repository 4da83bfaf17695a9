package scrittabot.console;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The built jar started as a user starts it, in a folder of its own: lines typed in, the
 * terminal's lines (stdout) and the log's lines (stderr) read back. For tests and benchmarks.
 */
public final class ConsoleProcess implements AutoCloseable {
  public static final Path JAR = Path.of("target/scrittabot.jar").toAbsolutePath();

  private final Process process;
  private final Writer in;
  private final BlockingQueue<String> out;
  private final BlockingQueue<String> log;
  private final List<Thread> readers = new ArrayList<>();

  private ConsoleProcess(Process process, Path logCopy) {
    this.process = process;
    this.in = process.outputWriter(StandardCharsets.UTF_8);
    this.out = lines(process.inputReader(StandardCharsets.UTF_8), null);
    this.log = lines(process.errorReader(StandardCharsets.UTF_8), logCopy);
  }

  /** Runs {@code java -jar scrittabot.jar ARGS} in {@code dir}. */
  public static ConsoleProcess start(Path dir, String... args) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    var command = new ArrayList<>(List.of(java, "-jar", JAR.toString()));
    command.addAll(List.of(args));
    return new ConsoleProcess(new ProcessBuilder(command).directory(dir.toFile()).start(),
        dir.resolve("bot.log"));
  }

  public Process process() {
    return process;
  }

  /** Types a line into the bot's terminal. */
  public void type(String line) throws IOException {
    in.write(line + "\n");
    in.flush();
  }

  /** The next line the bot prints, or null when none comes in time. */
  public String nextLine(Duration timeout) throws InterruptedException {
    return out.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** What the bot has logged so far. */
  public String log() {
    return String.join("\n", log);
  }

  /** Waits for the process to end and for all it printed; the exit code, or -1 on time-out. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      return -1;
    }
    for (Thread reader : readers) {
      reader.join(2000);
    }
    return process.exitValue();
  }

  /** Everything printed to the terminal so far, and not yet taken by {@link #nextLine}. */
  public String output() {
    return String.join("\n", out);
  }

  /** SIGTERM, then waits; returns the exit code, or -1 when it did not exit in time. */
  public int stop(Duration timeout) throws InterruptedException {
    // Not process.destroy(): that also closes our ends of its pipes, and what the bot says while
    // it stops would be lost.
    process.toHandle().destroy();
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
  }

  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  /** The lines of a stream as they come; a copy goes to {@code copy} when it is not null. */
  private BlockingQueue<String> lines(BufferedReader reader, Path copy) {
    var queue = new LinkedBlockingQueue<String>();
    readers.add(Thread.ofPlatform().daemon().start(() -> {
      try (reader) {
        String line;
        while ((line = reader.readLine()) != null) {
          queue.add(line);
          if (copy != null) {
            java.nio.file.Files.writeString(copy, line + "\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
          }
        }
      } catch (IOException e) {
        // the process ended
      }
    }));
    return queue;
  }
}
