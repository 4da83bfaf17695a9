package scrittabot.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import scrittabot.console.ConsoleProcess;
import scrittabot.llm.ScriptedLlmServer;
import scrittabot.memory.TestDatabase;

/**
 * Resident memory of the real daemon: the built jar runs with --console against the scripted
 * server, answers one typed line, and then VmRSS is read from /proc for the daemon and its
 * sandbox child, with the Java heap in use as {@code jcmd GC.heap_info} reports it.
 */
final class MemoryBench {
  private static final Path DIR = Path.of("target/bench/memory").toAbsolutePath();
  private static final Pattern USED = Pattern.compile("used (\\d+)K");

  /** One process: pid, resident and peak resident memory, heap used (kB; -1 if unknown). */
  record Usage(String role, long pid, long rssKb, long peakRssKb, long heapUsedKb) {}

  record Result(List<Usage> processes, double replyMs, int exitCode, double exitMs) {}

  private MemoryBench() {}

  static Result run() throws Exception {
    Files.createDirectories(DIR);
    try (var llm = ScriptedLlmServer.start()) {
      llm.respond(r -> r.lastUserText().contains("hello bot")
          ? "A greeting.\n```python\nsend_message('Hello, human!')\nsleep()\n```"
          : "```python\nsleep()\n```");
      Files.writeString(DIR.resolve("config.yaml"), """
          openai_url: %s/v1
          model_llm: scripted
          database_url: %s
          """.formatted(llm.url(), TestDatabase.create("memory_bench")));
      try (var bot = ConsoleProcess.start(DIR, "--console", "--config", "config.yaml")) {
        long start = System.nanoTime();
        bot.type("hello bot");
        String reply = bot.nextLine(Duration.ofSeconds(150));
        double replyMs = Samples.ms(System.nanoTime() - start);
        if (!"Hello, human!".equals(reply)) {
          throw new IllegalStateException("the daemon did not answer (got " + reply + "): "
              + bot.log());
        }
        Thread.sleep(1000); // let the step finish: the sleep() call and its bookkeeping
        var usage = new ArrayList<Usage>();
        usage.add(usage("daemon", bot.process().toHandle()));
        for (ProcessHandle child : bot.process().descendants().toList()) {
          usage.add(usage("sandbox child", child));
        }
        long stop = System.nanoTime();
        int exit = bot.stop(Duration.ofSeconds(20));
        return new Result(usage, replyMs, exit, Samples.ms(System.nanoTime() - stop));
      }
    }
  }

  private static Usage usage(String role, ProcessHandle process) throws IOException {
    long pid = process.pid();
    List<String> status = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
    return new Usage(role, pid, field(status, "VmRSS:"), field(status, "VmHWM:"), heapUsed(pid));
  }

  private static long field(List<String> status, String name) {
    return status.stream().filter(l -> l.startsWith(name))
        .map(l -> Long.parseLong(l.substring(name.length()).replace("kB", "").strip()))
        .findFirst().orElse(-1L);
  }

  /** Sums the "used" of the heap lines (G1: one, Serial: young and tenured generations). */
  private static long heapUsed(long pid) {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    try {
      Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.heap_info")
          .redirectErrorStream(true).start();
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return -1;
      }
      long used = 0;
      for (String line : text.lines().toList()) {
        Matcher m = USED.matcher(line);
        if (!line.contains("Metaspace") && !line.contains("class space") && m.find()) {
          used += Long.parseLong(m.group(1));
        }
      }
      return used == 0 ? -1 : used;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  static void print(Result r) {
    var table = new Table("Resident memory of the daemon (jar with --console, after one reply)",
        "process", "pid", "VmRSS", "peak (VmHWM)", "Java heap used");
    long total = 0;
    for (Usage u : r.processes()) {
      table.row(u.role(), u.pid(), Table.mb(u.rssKb()), Table.mb(u.peakRssKb()),
          u.heapUsedKb() < 0 ? "unknown" : Table.mb(u.heapUsedKb()));
      total += u.rssKb();
    }
    table.row("total", "", Table.mb(total), "", "")
        .note("First reply (daemon start, sandbox start, one step) came "
            + Table.ms(r.replyMs()) + " after the line was typed; after SIGTERM the daemon "
            + (r.exitCode() < 0 ? "did NOT exit within 20 s" : "exited with code "
                + r.exitCode() + " in " + Table.ms(r.exitMs())) + ".")
        .print();
  }
}
