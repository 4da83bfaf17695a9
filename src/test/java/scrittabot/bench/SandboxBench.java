package scrittabot.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import scrittabot.sandbox.Execution;
import scrittabot.sandbox.Sandbox;
import scrittabot.tools.Tool;
import scrittabot.tools.ToolSet;

/**
 * The sandbox child on its own, as configured by default (interpreter only, AOT cache when the
 * jar has one) and with {@code sandbox_jit}: cold start, the round trip of a tiny snippet (with
 * and without a tool call back into the bot), and the five loops of the smolagents comparison.
 * Every time is taken in the bot around {@link Sandbox#run}, so it includes the JSON-lines
 * protocol.
 */
final class SandboxBench {
  private static final int ROUND_TRIP_WARMUP = 1000;
  private static final int ROUND_TRIPS = 1000;
  private static final int SNIPPET_RUNS = 20;
  /** FACTS.md: smolagents' executor ran the 100k loop in 542 ms, CPython in 7 ms. */
  private static final double SMOLAGENTS_LOOP_MS = 542;
  private static final double CPYTHON_LOOP_MS = 7;

  /**
   * The snippets of the smolagents comparison; the first is the one FACTS.md has a figure for.
   * The last runs the same loop in a function defined once: each run's top-level code is compiled
   * afresh, so only code kept across runs can ever be warm for the optimising compiler.
   */
  private static final List<Snippet> SNIPPETS = List.of(
      new Snippet("100k loop: s += i*2", "", "s = 0\nfor i in range(100000): s += i*2"),
      new Snippet("100k list comprehension", "", "l = [i * 2 for i in range(100000)]"),
      new Snippet("20k calls of a user function", "",
          "def f(x):\n    return x + 1\nn = 0\nfor i in range(20000): n = f(n)"),
      new Snippet("10k string appends + join", "",
          "parts = []\nfor i in range(10000): parts.append(str(i))\ntext = ''.join(parts)"),
      new Snippet("50k dict get/set", "",
          "d = {}\nfor i in range(50000):\n    k = i % 1000\n    d[k] = d.get(k, 0) + 1"),
      new Snippet("(extra) the 100k loop in a function defined once, called each run",
          "def loop():\n    s = 0\n    for i in range(100000): s += i*2\n    return s",
          "loop()"));

  /** {@code setup} runs once, untimed, before the first run of {@code code}. */
  record Snippet(String name, String setup, String code) {}

  record SnippetResult(double firstMs, double bestMs, String error) {
    String best() {
      return error == null ? Table.ms(bestMs) : "failed: " + error.lines().findFirst().orElse("");
    }
  }

  record Result(boolean jit, List<Double> coldStartsMs, Samples toolCallWarmup, Samples toolCall,
      Samples bare, List<SnippetResult> snippets, long childRssKb) {
    double coldStartMedianMs() {
      return coldStartsMs.stream().sorted().toList().get(coldStartsMs.size() / 2);
    }

    String mode() {
      return jit ? "sandbox_jit: true" : "default (interpreter only)";
    }
  }

  private SandboxBench() {}

  static Result run(boolean jit, int coldStarts) throws Exception {
    var tools = new ToolSet(List.of(new Tool("noop", "", "Does nothing; for the benchmark.",
        args -> null)));
    var settings = new Sandbox.Settings(Path.of("target/bench/sandbox/files"),
        Duration.ofSeconds(60), "384m", jit);
    var starts = new ArrayList<Double>();
    Sandbox warm = null;
    try {
      for (int i = 0; i < coldStarts; i++) {
        var sandbox = new Sandbox(settings, tools);
        long start = System.nanoTime();
        sandbox.start();
        if (!sandbox.awaitReady()) {
          sandbox.close();
          throw new IllegalStateException("the sandbox did not start");
        }
        starts.add(Samples.ms(System.nanoTime() - start));
        if (warm != null) {
          warm.close();
        }
        warm = sandbox; // the last one stays for the other measurements
      }
      Samples toolCallWarmup = roundTrips(warm, "noop()", ROUND_TRIP_WARMUP);
      Samples toolCall = roundTrips(warm, "noop()", ROUND_TRIPS);
      Samples bare = roundTrips(warm, "x = 1", ROUND_TRIPS);
      var snippets = new ArrayList<SnippetResult>();
      for (Snippet snippet : SNIPPETS) {
        snippets.add(snippet(warm, snippet));
      }
      return new Result(jit, starts, toolCallWarmup, toolCall, bare, snippets, childRss());
    } finally {
      if (warm != null) {
        warm.close();
      }
    }
  }

  private static Samples roundTrips(Sandbox sandbox, String code, int runs) {
    var times = new ArrayList<Long>();
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      Execution result = sandbox.run(code);
      times.add(System.nanoTime() - start);
      if (!result.ok()) {
        throw new IllegalStateException("'" + code + "' failed in the sandbox: " + result.error());
      }
    }
    return Samples.of(times);
  }

  private static SnippetResult snippet(Sandbox sandbox, Snippet snippet) {
    Execution setup = sandbox.run(snippet.setup());
    if (!setup.ok()) {
      return new SnippetResult(Double.NaN, Double.NaN, setup.error());
    }
    long start = System.nanoTime();
    Execution first = sandbox.run(snippet.code());
    double firstMs = Samples.ms(System.nanoTime() - start);
    if (!first.ok()) {
      return new SnippetResult(firstMs, Double.NaN, first.error());
    }
    var times = new ArrayList<Long>();
    for (int i = 0; i < SNIPPET_RUNS; i++) {
      start = System.nanoTime();
      Execution again = sandbox.run(snippet.code());
      times.add(System.nanoTime() - start);
      if (!again.ok()) {
        return new SnippetResult(firstMs, Double.NaN, again.error());
      }
    }
    return new SnippetResult(firstMs, Samples.of(times).minMs(), null);
  }

  /** VmRSS of this JVM's child processes: only the warm sandbox is alive at that point. */
  private static long childRss() {
    return ProcessHandle.current().children().mapToLong(child -> {
      try {
        return Files.readAllLines(Path.of("/proc", Long.toString(child.pid()), "status")).stream()
            .filter(l -> l.startsWith("VmRSS:"))
            .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).sum();
      } catch (IOException e) {
        return 0;
      }
    }).sum();
  }

  static void print(List<Result> results) {
    var starts = new Table("Sandbox cold start (a fresh child JVM, start() to ready)",
        "child", "runs", "median", "all");
    for (Result r : results) {
      starts.row(r.mode(), r.coldStartsMs().size(), Table.ms(r.coldStartMedianMs()),
          String.join(", ", r.coldStartsMs().stream().map(Table::ms).toList()));
    }
    starts.print();
    var trips = new Table("Sandbox round trip of a tiny snippet (" + ROUND_TRIPS + " runs each,"
        + " after " + ROUND_TRIP_WARMUP + " warm-up runs of `noop()`)",
        "child", "snippet", "p50", "p99", "max");
    for (Result r : results) {
      row(trips, r.mode(), "`noop()` during the warm-up", r.toolCallWarmup());
      row(trips, r.mode(), "`noop()`: one tool call back into the bot", r.toolCall());
      row(trips, r.mode(), "`x = 1`: no tool call", r.bare());
    }
    for (Result r : results) {
      trips.goal("p50 of the tool-calling snippet under 2 ms, " + r.mode() + " ("
          + Table.ms(r.toolCall().p50()) + ")", r.toolCall().p50() < 2);
    }
    trips.print();
    printSnippets(results);
  }

  private static void printSnippets(List<Result> results) {
    var header = new ArrayList<>(List.of("snippet"));
    for (Result r : results) {
      header.add("first run, " + (r.jit() ? "jit" : "default"));
      header.add("best of " + SNIPPET_RUNS + ", " + (r.jit() ? "jit" : "default"));
    }
    header.addAll(List.of("smolagents (FACTS.md)", "CPython (FACTS.md)"));
    var table = new Table("Python speed in the sandbox (first run and best of " + SNIPPET_RUNS
        + "; the default child is GraalPy interpreter-only)", header.toArray(String[]::new));
    for (int i = 0; i < SNIPPETS.size(); i++) {
      var cells = new ArrayList<Object>(List.of(SNIPPETS.get(i).name()));
      for (Result r : results) {
        cells.add(Table.ms(r.snippets().get(i).firstMs()));
        cells.add(r.snippets().get(i).best());
      }
      cells.add(i == 0 ? Table.ms(SMOLAGENTS_LOOP_MS) : "");
      cells.add(i == 0 ? Table.ms(CPYTHON_LOOP_MS) : "");
      table.row(cells.toArray());
    }
    for (Result r : results) {
      SnippetResult loop = r.snippets().getFirst();
      if (loop.error() == null) {
        table.note("100k loop, " + r.mode() + ": smolagents' 542 ms divided by the sandbox's"
            + " time (above 1: the sandbox is faster): " + Table.num(SMOLAGENTS_LOOP_MS
            / loop.bestMs(), 1) + " warm, " + Table.num(SMOLAGENTS_LOOP_MS / loop.firstMs(), 1)
            + " on the first run. Child VmRSS after the snippets: " + Table.mb(r.childRssKb())
            + ".");
      }
    }
    table.print();
  }

  private static void row(Table table, String mode, String what, Samples s) {
    table.row(mode, what, Table.ms(s.p50()), Table.ms(s.p99()), Table.ms(s.maxMs()));
  }
}
