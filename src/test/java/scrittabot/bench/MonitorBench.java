package scrittabot.bench;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import scrittabot.Bot;
import scrittabot.Config;
import scrittabot.kernel.Channel;
import scrittabot.kernel.Event;
import scrittabot.kernel.EventQueue;
import scrittabot.llm.ScriptedLlmServer;
import scrittabot.memory.Memory;
import scrittabot.memory.TestDatabase;
import scrittabot.monitor.Monitor;

/**
 * What a monitor page following the agent live costs the kernel: a real Bot (sandbox child
 * included) with the monitor watching, against the scripted server that answers at once, each
 * reply about 300 characters streamed 3 at a time (about 100 live events a step) with a
 * send_message code block. Blocks of steps alternate: no page open, then a page reading the
 * Server-Sent Events, and so on. Steps grow slower over a run (the memory's tables grow), so
 * each block with a page is compared with the mean of the blocks before and after it; the
 * median of those ratios is the figure. A step is the time between two requests arriving at
 * the server, as in {@link KernelBench}.
 */
final class MonitorBench {
  private static final int WARMUP_STEPS = 1500;
  private static final int BLOCK = 120;
  /** Off, on, off, ..., off: each page block is compared with the blocks on either side. */
  private static final int BLOCKS = 21;
  /** Steps left out at the start of each block, while a page connects or is let go. */
  private static final int SETTLE = 20;
  private static final String ROOM = "bench";

  record Result(List<Samples> off, List<Samples> on, long eventsRead) {}

  private MonitorBench() {}

  static Result run() throws Exception {
    int total = WARMUP_STEPS + BLOCKS * BLOCK + 1;
    var arrivals = new AtomicLongArray(total);
    Path dir = Files.createTempDirectory("monitor-bench");
    try (var llm = ScriptedLlmServer.start();
        var memory = new Memory(TestDatabase.open("monitor_bench"))) {
      var queue = new EventQueue(memory);
      var count = new AtomicInteger();
      String filler = " I read it and think about what it asks of me.".repeat(5);
      llm.respond(request -> {
        int i = count.getAndIncrement();
        if (i < total) {
          arrivals.set(i, System.nanoTime());
        }
        if (i >= total - 1) {
          return "Done.\n```python\nsleep()\n```";
        }
        queue.put(new Event.UserMessage(Instant.now(), "@bench:test", ROOM, "message " + i));
        return "Message " + i + "." + filler + "\n```python\nsend_message('answer " + i
            + "')\nprint('sent')\n```";
      });
      Config config = Config.fromMap(Map.of("openai_url", llm.url(), "model_llm", "scripted",
          "max_llm_calls_per_hour", 1_000_000, "monitor_port", 0,
          "state_dir", dir.resolve("state").toString(), "logs_dir", dir.resolve("logs")
              .toString(), "files_dir", dir.resolve("files").toString()), true);
      var library = Bot.library(config, memory);
      library.start();
      Monitor monitor = Monitor.start(config, memory, library);
      String token = Files.readString(dir.resolve("state/monitor-token")).strip();
      try (monitor; var bot = new Bot(config, memory, library, queue, silent())) {
        bot.watch(monitor.watcher());
        if (!bot.sandbox().awaitReady()) {
          throw new IllegalStateException("the sandbox did not start");
        }
        queue.put(new Event.UserMessage(Instant.now(), "@bench:test", ROOM, "hello"));
        Thread loop = Thread.ofPlatform().name("bench-kernel").start(bot::run);
        var read = new AtomicLong();
        var off = new ArrayList<Samples>();
        var on = new ArrayList<Samples>();
        try {
          llm.awaitRequests(WARMUP_STEPS, Duration.ofMinutes(5));
          for (int b = 0; b < BLOCKS; b++) {
            int from = WARMUP_STEPS + b * BLOCK;
            boolean page = b % 2 == 1;
            InputStream stream = page ? follow(monitor, token, read) : null;
            try {
              llm.awaitRequests(from + BLOCK + 1, Duration.ofMinutes(5));
            } finally {
              if (stream != null) {
                stream.close();
              }
            }
            (page ? on : off).add(spans(arrivals, from + SETTLE, from + BLOCK));
            if (page) { // the page's stream is let go at the kernel's next event
              long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
              while (monitor.pages() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
              }
            }
          }
          llm.awaitRequests(total, Duration.ofMinutes(5));
        } finally {
          bot.stop("benchmark over");
          loop.join(10_000);
        }
        return new Result(off, on, read.get());
      }
    }
  }

  /** A page following /api/live: a thread reads every event until the stream is closed. */
  private static InputStream follow(Monitor monitor, String token, AtomicLong read)
      throws Exception {
    var response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
        monitor.url() + "api/live")).header("Authorization", "Bearer " + token).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    InputStream body = response.body();
    Thread.ofPlatform().daemon().start(() -> {
      try (var lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
        String line;
        while ((line = lines.readLine()) != null) {
          if (line.startsWith("event: ")) {
            read.incrementAndGet();
          }
        }
      } catch (java.io.IOException e) {
        // closed at the end of its block
      }
    });
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (monitor.pages() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    return body;
  }

  private static Channel silent() {
    return new Channel() {
      @Override
      public void send(String room, String text) {}

      @Override
      public String defaultRoom() {
        return ROOM;
      }
    };
  }

  private static Samples spans(AtomicLongArray arrivals, int from, int to) {
    var spans = new ArrayList<Long>();
    for (int i = from; i < to; i++) {
      spans.add(arrivals.get(i + 1) - arrivals.get(i));
    }
    return Samples.of(spans);
  }

  static void print(Result r) {
    var table = new Table("A monitor page following the agent live: kernel step with and "
        + "without it (scripted LLM answering at once, ~100 live events a step; blocks of "
        + (BLOCK - SETTLE) + " steps, alternating)", "block", "page", "steps", "p50", "p99");
    for (int i = 0; i < r.off().size(); i++) {
      row(table, 2 * i + 1, "none", r.off().get(i));
      if (i < r.on().size()) {
        row(table, 2 * i + 2, "reading live", r.on().get(i));
      }
    }
    var ratios = new double[r.on().size()];
    for (int i = 0; i < ratios.length; i++) {
      ratios[i] = r.on().get(i).p50() / ((r.off().get(i).p50() + r.off().get(i + 1).p50()) / 2);
    }
    String each = String.join(", ", java.util.Arrays.stream(ratios)
        .mapToObj(x -> Table.num(x, 3)).toList());
    double ratio = median(ratios);
    table.note("Each page block's p50 against the mean of its neighbours: " + each
        + "; the page read " + r.eventsRead() + " events.")
        .goal("a step with a page within 10% of one without (median " + Table.num(ratio, 3)
            + "x)", ratio <= 1.10)
        .print();
  }

  private static void row(Table table, int block, String page, Samples s) {
    table.row(block, page, s.count(), Table.ms(s.p50()), Table.ms(s.p99()));
  }

  private static double median(double[] values) {
    java.util.Arrays.sort(values);
    int n = values.length;
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  }
}
