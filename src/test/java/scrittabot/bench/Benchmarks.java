package scrittabot.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Set;
import scrittabot.memory.LanguagesBench;
import scrittabot.memory.PlantedFactsBench;
import scrittabot.memory.RecallBench;

/**
 * The benchmarks behind BENCHMARKS.md, a plain main run by {@code make bench}: kernel step
 * overhead, the sandbox, prompt prefix reuse, resident memory, reaction latency through a real
 * Synapse, recall at 10k and 100k items and planted facts, each printed as a table with its goal.
 * Takes about ten minutes (the 100k-item index alone takes a few); figures on a 2-core machine
 * are noisy, so compare ratios within one run rather than figures across runs.
 */
public final class Benchmarks {
  private Benchmarks() {}

  public static void main(String[] args) throws Exception {
    // Before the first logger: the bot's info lines (sandbox ready, prompt shrank) would
    // interleave with the tables.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    // The JDK's HttpServer leaves Nagle's algorithm on: the scripted server's small SSE writes
    // then wait for the client's delayed ACK, about 40 ms a step, which is not the bot's time.
    // Read once, when the first server starts.
    System.setProperty(KernelBench.NODELAY, "true");
    long start = System.nanoTime();
    var cpu = CpuMeter.start();
    machine();
    var only = Set.of(args); // section names, e.g. "kernel sandbox"; none: all of them
    section(only, "prompt", () -> PromptBench.print(List.of(PromptBench.run(4000, false),
        PromptBench.run(8000, false), PromptBench.run(32000, false), PromptBench.run(4000, true),
        PromptBench.run(8000, true), PromptBench.run(32000, true))));
    section(only, "sandbox", () -> SandboxBench.print(
        List.of(SandboxBench.run(false, 3), SandboxBench.run(true, 1))));
    section(only, "kernel", () -> KernelBench.print(KernelBench.run()));
    section(only, "monitor", () -> MonitorBench.print(MonitorBench.run()));
    section(only, "memory", () -> MemoryBench.print(MemoryBench.run()));
    section(only, "recall", () -> RecallBench.print(RecallBench.run(10_000, 100_000)));
    section(only, "facts", () -> PlantedFactsBench.print(PlantedFactsBench.run()));
    section(only, "indexing", () -> IndexingBench.print(IndexingBench.run()));
    // needs a real multilingual embedding model: make bench EMBED_URL=http://host:port
    String embedUrl = System.getenv("EMBED_URL");
    section(only, "languages", () -> {
      if (embedUrl == null || embedUrl.isBlank()) {
        System.out.println("\n### Facts across languages: not run (EMBED_URL is not set)");
      } else {
        LanguagesBench.print(LanguagesBench.run(embedUrl));
      }
    });
    if (only.contains("recall-1m")) { // by hand only: about half an hour and 10 GB of heap
      section(only, "recall-1m", () -> RecallBench.print(RecallBench.run(1_000_000)));
    }
    section(only, "matrix", () -> MatrixBench.print(MatrixBench.run()));
    System.out.printf("%nLoad average at the end: %s; the whole run took %.0f s. %s%n",
        loadAverage(), (System.nanoTime() - start) / 1e9, cpu.report());
    System.exit(0); // HTTP client and server threads of the benches need not be waited for
  }

  private interface Bench {
    void run() throws Exception;
  }

  /** A failing section is reported and the others still run. */
  private static void section(Set<String> only, String name, Bench bench) {
    if (!only.isEmpty() && !only.contains(name)) {
      return;
    }
    long start = System.nanoTime();
    try {
      bench.run();
    } catch (Exception | Error e) { // e.g. the jar rebuilt under a running bench
      System.out.println("\n### " + name + ": FAILED\n\n" + e);
      e.printStackTrace();
    }
    System.out.printf("(%s took %.0f s)%n", name, (System.nanoTime() - start) / 1e9);
  }

  private static void machine() throws IOException {
    new Table("Machine", "", "")
        .row("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
            .replaceFirst("\\.\\d+", ""))
        .row("cores (nproc)", Runtime.getRuntime().availableProcessors())
        .row("CPU", cpuInfo("model name"))
        .row("memory", memTotal())
        .row("Java", System.getProperty("java.vm.name") + " " + Runtime.version() + " ("
            + System.getProperty("java.vendor") + ")")
        .row("load average at start", loadAverage())
        .print();
  }

  private static String cpuInfo(String key) throws IOException {
    return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
        .filter(l -> l.startsWith(key))
        .map(l -> l.substring(l.indexOf(':') + 1).strip())
        .findFirst().orElse("unknown");
  }

  private static String memTotal() throws IOException {
    return Files.readAllLines(Path.of("/proc/meminfo")).stream()
        .filter(l -> l.startsWith("MemTotal:"))
        .map(l -> Long.parseLong(l.replaceAll("\\D", "")))
        .map(kb -> String.format("%.1f GB", kb / 1024.0 / 1024.0))
        .findFirst().orElse("unknown");
  }

  /** The 1, 5 and 15 minute load averages: other work on the machine skews every figure. */
  static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException e) {
      return "unknown";
    }
  }
}
