package scrittabot.library;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link ExtractChild} for a PDF or web page, with a bounded heap and a time limit, and
 * puts its text in place only when it finished: a hostile file costs at most that much memory
 * and time, and never the bot.
 */
final class Extraction {
  static final String HEAP = "256m";
  private static final int OUT_OF_MEMORY = 3; // the JVM's exit code with ExitOnOutOfMemoryError

  private Extraction() {}

  /** Writes the text of {@code in} (a PDF or HTML {@code kind}) to {@code out}. */
  static void run(Kind kind, Path in, Path out, Duration timeout)
      throws Library.Refused, IOException, InterruptedException {
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    Path partial = out.resolveSibling(out.getFileName() + ".part");
    Path errors = out.resolveSibling(out.getFileName() + ".err");
    Files.createDirectories(out.getParent());
    var process = new ProcessBuilder(List.of(java, "-Xmx" + HEAP, "-XX:+ExitOnOutOfMemoryError",
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
        "-cp", System.getProperty("java.class.path"), ExtractChild.class.getName(),
        kind == Kind.PDF ? "pdf" : "html", in.toAbsolutePath().toString(),
        partial.toAbsolutePath().toString()))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(errors.toFile())
        .start();
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new Library.Refused("reading it took longer than " + timeout.toSeconds()
            + " s, so it was stopped");
      }
      switch (process.exitValue()) {
        case 0 -> Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
        case ExtractChild.REFUSED -> throw new Library.Refused(reason(errors));
        case OUT_OF_MEMORY -> throw new Library.Refused("reading it needs more than the "
            + HEAP + "B of memory that extraction may take");
        default -> throw new IOException("the extraction process ended with code "
            + process.exitValue() + ": " + lastLine(errors));
      }
    } finally {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
      Files.deleteIfExists(partial);
      Files.deleteIfExists(errors);
    }
  }

  private static String reason(Path errors) throws IOException {
    List<String> lines = tail(errors);
    return lines.stream().filter(l -> l.startsWith(ExtractChild.REASON)).reduce((a, b) -> b)
        .map(l -> l.substring(ExtractChild.REASON.length())).orElse(lastLine(errors));
  }

  private static String lastLine(Path errors) throws IOException {
    List<String> lines = tail(errors);
    return lines.isEmpty() ? "(nothing said)" : lines.getLast();
  }

  /** The lines of the last 64 KB of what the child wrote to stderr (libraries log there too). */
  private static List<String> tail(Path errors) throws IOException {
    try (var file = java.nio.channels.FileChannel.open(errors)) {
      long size = file.size();
      var buffer = java.nio.ByteBuffer.allocate((int) Math.min(size, 1 << 16));
      file.read(buffer, size - buffer.capacity());
      return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).lines()
          .toList();
    }
  }
}
