package scrittabot.bench;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import scrittabot.Bot;
import scrittabot.Config;
import scrittabot.kernel.Channel;
import scrittabot.kernel.Event;
import scrittabot.kernel.EventQueue;
import scrittabot.library.Library;
import scrittabot.llm.ScriptedLlmServer;
import scrittabot.memory.Memory;
import scrittabot.memory.TestDatabase;

/**
 * The librarian without LLM time: a real Bot (sandbox, indexer, summaries, embeddings) against
 * the scripted server, which answers at once. For each file: how long chunking, summarising
 * (index_calls_per_document calls) and embedding take, and the most memory the bot's heap held
 * meanwhile above what it held before (live data: measured after a full GC every quarter of a
 * second, in a pass of its own so that the GCs do not slow the timed pass), and the extraction
 * child's peak resident size for PDFs. Then the kernel's reaction to a message, from the
 * message's arrival in the queue to the LLM request it causes: while idle, and while a 10 MB
 * file is being indexed.
 */
final class IndexingBench {
  private static final int REACTIONS = 20;

  record Phase(String file, long bytes, int chunks, double chunkSeconds, int summaries,
      double summarySeconds, double embedSeconds, long heapMb, long childMb) {}

  record Result(List<Phase> phases, Samples idle, Samples indexing) {}

  private IndexingBench() {}

  static Result run() throws Exception {
    Path work = Files.createDirectories(Path.of("target/bench/indexing"));
    var files = new ArrayList<Path>();
    files.add(text(work.resolve("one-mb.md"), 1 << 20));
    files.add(text(work.resolve("ten-mb.md"), 10 << 20));
    files.add(pdf(work.resolve("thirty-pages.pdf"), 30));
    files.add(pdf(work.resolve("three-hundred-pages.pdf"), 300));
    var phases = new ArrayList<Phase>();
    for (Path file : files) {
      Phase timed = index(file, false);
      Phase measured = index(file, true);
      phases.add(new Phase(timed.file(), timed.bytes(), timed.chunks(), timed.chunkSeconds(),
          timed.summaries(), timed.summarySeconds(), timed.embedSeconds(), measured.heapMb(),
          measured.childMb()));
    }
    List<Samples> reactions = reactions(files.get(1));
    return new Result(phases, reactions.get(0), reactions.get(1));
  }

  /** A fresh bot indexes one file; with {@code measure}, a sampler watches its memory. */
  private static Phase index(Path file, boolean measure) throws Exception {
    try (var llm = ScriptedLlmServer.start()) {
      Config config = config(llm.url(), "target/bench/indexing/run-" + System.nanoTime());
      llm.respond(r -> "```python\nsleep()\n```");
      try (var memory = new Memory(TestDatabase.open("indexing_bench"), config)) {
        var library = Bot.library(config, memory);
        library.start();
        var queue = new EventQueue(memory);
        try (var bot = new Bot(config, memory, library, queue, quiet())) {
          Thread loop = Thread.ofPlatform().name("bench-kernel").start(bot::run);
          long start = System.nanoTime();
          library.receive(file.getFileName().toString(), Files.readAllBytes(file), null,
              "@anna:example.org", "bench");
          // from here: what indexing holds (receiving held the file's bytes, as the channels
          // do, up to max_file_size)
          var sampler = measure ? new Sampler() : null;
          double chunked = awaitState(memory, "summarising", start);
          double summarised = awaitState(memory, "indexed", start);
          double embedded = awaitEmbedded(memory, start);
          long[] peaks = sampler == null ? new long[2] : sampler.stop();
          int chunks = count(memory, "SELECT count(*) FROM chunks WHERE depth = 0");
          int summaries = count(memory, "SELECT count(*) FROM chunks WHERE depth > 0");
          bot.stop("benchmark over");
          loop.join(10_000);
          return new Phase(file.getFileName().toString(), Files.size(file), chunks, chunked,
              summaries, summarised - chunked, embedded, peaks[0] >> 20, peaks[1] >> 20);
        }
      }
    }
  }

  /**
   * Reaction times: {@link #REACTIONS} messages to an idle bot, then as many while it indexes
   * {@code file} (chunking, embedding and summaries, which the agent's calls interrupt).
   */
  private static List<Samples> reactions(Path file) throws Exception {
    try (var llm = ScriptedLlmServer.start()) {
      var db = TestDatabase.open("indexing_reaction");
      Config config = config(llm.url(), "target/bench/indexing/reaction-" + System.nanoTime());
      var arrived = new ConcurrentHashMap<String, Long>();
      llm.respond(r -> {
        arrived.putIfAbsent(r.lastUserText(), System.nanoTime());
        return "```python\nsleep()\n```";
      });
      try (var memory = new Memory(db, config)) {
        var library = Bot.library(config, memory);
        library.start();
        var queue = new EventQueue(memory);
        try (var bot = new Bot(config, memory, library, queue, quiet())) {
          if (!bot.sandbox().awaitReady()) {
            throw new IllegalStateException("the sandbox did not start");
          }
          Thread loop = Thread.ofPlatform().name("bench-kernel").start(bot::run);
          var counter = new AtomicLong();
          var idle = new ArrayList<Long>();
          for (int i = 0; i < REACTIONS + 3; i++) {
            long took = react(queue, arrived,
                String.format("idle %03d.", counter.incrementAndGet()));
            if (i >= 3) { // the first steps warm up the sandbox child
              idle.add(took);
            }
          }
          library.receive(file.getFileName().toString(), Files.readAllBytes(file), null,
              "@anna:example.org", "bench");
          var busy = new ArrayList<Long>();
          while (busy.size() < REACTIONS && !done(memory)) {
            busy.add(react(queue, arrived,
                String.format("busy %03d.", counter.incrementAndGet())));
          }
          bot.stop("benchmark over");
          loop.join(10_000);
          return List.of(Samples.of(idle), Samples.of(busy));
        }
      }
    }
  }

  /** Puts a message and waits for the LLM request that shows it; returns the nanoseconds. */
  private static long react(EventQueue queue, Map<String, Long> arrived, String text)
      throws InterruptedException {
    Thread.sleep(300); // the agent is back asleep after the previous answer
    long start = System.nanoTime();
    queue.put(new Event.UserMessage(Instant.now(), "@anna:example.org", "bench", text));
    long deadline = start + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline) {
      for (var e : arrived.entrySet()) {
        if (e.getKey().contains(text)) {
          return e.getValue() - start;
        }
      }
      Thread.sleep(1);
    }
    throw new IllegalStateException("no LLM request for '" + text + "' in 2 min");
  }

  private static Config config(String url, String dir) throws Config.ConfigException {
    return Config.fromMap(Map.of("openai_url", url, "model_llm", "scripted",
        "model_rerank", "none", "max_llm_calls_per_hour", 1_000_000, "index_after_idle", 0.2,
        "max_file_size", "64m", "files_quota", "1g",
        "logs_dir", dir + "/logs", "files_dir", dir + "/files"), true);
  }

  private static Channel quiet() {
    return new Channel() {
      @Override
      public void send(String room, String text) {}

      @Override
      public String defaultRoom() {
        return "bench";
      }
    };
  }

  private static double awaitState(Memory memory, String state, long start) throws Exception {
    long deadline = start + Duration.ofMinutes(20).toNanos();
    while (count(memory, "SELECT count(*) FROM documents WHERE state = '" + state + "'"
        + (state.equals("summarising") ? " OR state = 'indexed'" : "")) == 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no document reached '" + state + "' in 20 min");
      }
      Thread.sleep(20);
    }
    return (System.nanoTime() - start) / 1e9;
  }

  private static double awaitEmbedded(Memory memory, long start) throws Exception {
    long deadline = start + Duration.ofMinutes(20).toNanos();
    while (count(memory, "SELECT count(*) FROM chunks WHERE embedding IS NULL") > 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the chunks were not embedded in 20 min");
      }
      Thread.sleep(50);
    }
    return (System.nanoTime() - start) / 1e9;
  }

  private static boolean done(Memory memory) throws Exception {
    return count(memory, "SELECT count(*) FROM documents WHERE state <> 'indexed'") == 0
        && count(memory, "SELECT count(*) FROM chunks WHERE embedding IS NULL") == 0;
  }

  private static int count(Memory memory, String sql) throws Exception {
    return memory.database().transaction(c -> {
      try (ResultSet r = c.createStatement().executeQuery(sql)) {
        r.next();
        return r.getInt(1);
      }
    });
  }

  /**
   * Live heap above the start (after a full GC, every 250 ms) and the extraction child's resident
   * size, at their highest.
   */
  private static final class Sampler {
    private final long base;
    private final AtomicLong heap = new AtomicLong();
    private final AtomicLong child = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    Sampler() {
      base = liveHeap();
      thread = Thread.ofPlatform().daemon().name("bench-sampler").start(() -> {
        while (running) {
          heap.accumulateAndGet(liveHeap() - base, Math::max);
          ProcessHandle.current().children().filter(p -> isExtraction(p.pid()))
              .forEach(p -> child.accumulateAndGet(residentBytes(p.pid()), Math::max));
          try {
            Thread.sleep(250);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
    }

    long[] stop() throws InterruptedException {
      running = false;
      thread.join();
      return new long[] {heap.get(), child.get()};
    }

    private static long liveHeap() {
      System.gc();
      return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Read here: ProcessHandle.Info leaves out a command line as long as a classpath. */
    private static boolean isExtraction(long pid) {
      try {
        return Files.readString(Path.of("/proc/" + pid + "/cmdline"), StandardCharsets.ISO_8859_1)
            .contains("ExtractChild");
      } catch (Exception e) {
        return false;
      }
    }

    /** The peak resident size the kernel noted for a process (VmHWM), 0 when it is gone. */
    private static long residentBytes(long pid) {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
          if (line.startsWith("VmHWM:")) {
            return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
          }
        }
      } catch (Exception e) {
        // the child ended between the listing and the read
      }
      return 0;
    }
  }

  /** Markdown of about {@code bytes}: headings and paragraphs of varied words. */
  private static Path text(Path file, int bytes) throws Exception {
    var random = new Random(bytes);
    String[] words = ("river stone lamp harbour winter copper garden signal orchard ledger "
        + "valve meadow lantern engine bridge falcon quarry timber anchor beacon ferry thistle "
        + "compass furnace glacier kettle marble nectar pebble saddle tunnel willow").split(" ");
    var out = new StringBuilder(bytes + 1000);
    int paragraph = 0;
    while (out.length() < bytes) {
      if (paragraph % 40 == 0) {
        out.append("## Section ").append(paragraph / 40 + 1).append("\n\n");
      }
      int sentences = 3 + random.nextInt(5);
      for (int s = 0; s < sentences; s++) {
        int n = 6 + random.nextInt(12);
        for (int w = 0; w < n; w++) {
          String word = words[random.nextInt(words.length)];
          out.append(w == 0 ? Character.toUpperCase(word.charAt(0)) + word.substring(1) : word)
              .append(w == n - 1 ? ". " : " ");
        }
      }
      out.append("\n\n");
      paragraph++;
    }
    Files.writeString(file, out, StandardCharsets.UTF_8);
    return file;
  }

  /** A PDF of {@code pages} pages of 40 lines of text each. */
  private static Path pdf(Path file, int pages) throws Exception {
    var random = new Random(pages);
    try (var doc = new PDDocument()) {
      var font = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
      for (int p = 0; p < pages; p++) {
        var page = new PDPage();
        doc.addPage(page);
        try (var content = new PDPageContentStream(doc, page)) {
          content.beginText();
          content.setFont(font, 10);
          content.setLeading(16);
          content.newLineAtOffset(50, 740);
          for (int line = 0; line < 40; line++) {
            content.showText("Page " + (p + 1) + ", line " + (line + 1) + ": the reading of "
                + "gauge " + random.nextInt(1000) + " was " + random.nextInt(100)
                + " units on the morning shift.");
            content.newLine();
          }
          content.endText();
        }
      }
      doc.save(file.toFile());
    }
    return file;
  }

  static void print(Result r) {
    var table = new Table("Indexing without LLM time (scripted LLM answering at once)", "file",
        "size", "chunks", "chunking", "chunks/s", "summaries", "summarising", "all embedded",
        "peak live heap", "extraction child");
    for (Phase p : r.phases()) {
      table.row(p.file(), String.format("%.1f MB", p.bytes() / 1048576.0), p.chunks(),
          String.format("%.1f s", p.chunkSeconds()),
          String.format("%.0f", p.chunks() / p.chunkSeconds()), p.summaries(),
          String.format("%.1f s", p.summarySeconds()), String.format("%.1f s", p.embedSeconds()),
          "+" + p.heapMb() + " MB", p.childMb() == 0 ? "-" : p.childMb() + " MB");
    }
    table.note("Peak live heap: the bot's heap after a full GC, above what it held once the "
        + "file was received, sampled every 250 ms in a second pass; the extraction child's is "
        + "its peak resident size (its heap is capped at 256 MB). A PDF's chunking includes its "
        + "extraction in the child.");
    table.print();
    double ratio = r.indexing().p50() / r.idle().p50();
    new Table("Reaction to a message, from the queue to the LLM request", "", "p50", "p90",
        "max", "samples")
        .row("idle", Table.ms(r.idle().p50()), Table.ms(r.idle().percentileMs(90)),
            Table.ms(r.idle().percentileMs(100)), r.idle().count())
        .row("while indexing ten-mb.md", Table.ms(r.indexing().p50()),
            Table.ms(r.indexing().percentileMs(90)), Table.ms(r.indexing().percentileMs(100)),
            r.indexing().count())
        .goal(String.format("p50 while indexing within 2x of idle (%.2fx)", ratio), ratio <= 2)
        .print();
  }
}
