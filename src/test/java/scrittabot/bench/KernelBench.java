package scrittabot.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Function;
import scrittabot.Bot;
import scrittabot.Config;
import scrittabot.kernel.Channel;
import scrittabot.kernel.Event;
import scrittabot.kernel.EventQueue;
import scrittabot.llm.ScriptedLlmServer;
import scrittabot.memory.Memory;
import scrittabot.memory.TestDatabase;

/**
 * Kernel step overhead without LLM time: a real Bot (sandbox child included) against the scripted
 * server, which answers at once. A step is the time between two consecutive requests arriving at
 * the server, so it holds everything the bot does in a step (prompt, HTTP, streaming the reply,
 * running its code) and also the scripted server's own work on the same two cores.
 *
 * <p>Phase one: every reply is {@code send_message(...)} code that also prints (an answer that
 * prints nothing ends the turn, and the next message would wake the agent after the kernel's
 * settling wait, which is not overhead), and each answer pushes a user message into the queue
 * (ten steps in a row with nothing from outside would be put to rest). The child JVM
 * warms up over thousands of runs, so the goal is judged on the last {@link #STEPS} of them and
 * the warm-up curve is shown. Phase two: code without a tool call ({@code x = i}); phase three:
 * replies without code; the messages keep the kernel from backing off (1 s, 2 s, ...).
 */
final class KernelBench {
  /** Set by {@link Benchmarks#main}: TCP_NODELAY on the scripted server's sockets. */
  static final String NODELAY = "sun.net.httpserver.nodelay";
  private static final int CODE_STEPS = 3000;
  private static final int STEPS = 1000;
  private static final int BLOCK = 500;
  /** Steps left out after each change of phase. */
  private static final int WARMUP = 50;
  private static final String ROOM = "bench";

  /**
   * {@code toTool}: from a request's arrival until its code's send_message reaches the bot's
   * channel (the reply streamed up to the closing fence, the code sent to the child, the tool call
   * back); {@code afterTool}: from there to the next request (the rest of the run, the kernel).
   * {@code warmup}: the p50 of each block of {@link #BLOCK} code steps from the first on.
   */
  record Result(Samples withCode, Samples toTool, Samples afterTool, Samples codeWithoutTool,
      Samples withoutCode, List<Double> warmup, int lastPromptChars, int droppedTurns) {}

  private KernelBench() {}

  static Result run() throws Exception {
    int bareStart = CODE_STEPS + WARMUP;
    int noCodeStart = bareStart + STEPS + WARMUP;
    int total = noCodeStart + STEPS + 1; // the last request is answered with sleep()
    var arrivals = new AtomicLongArray(total);
    var sends = new AtomicLongArray(total);
    try (var llm = ScriptedLlmServer.start();
        var memory = new Memory(TestDatabase.open("kernel_bench"))) {
      var queue = new EventQueue(memory);
      llm.respond(scripted(queue, arrivals, bareStart + STEPS, total));
      Config config = Config.fromMap(Map.of("openai_url", llm.url(), "model_llm", "scripted",
          "max_llm_calls_per_hour", 1_000_000, "logs_dir", "target/bench/kernel/logs",
          "files_dir", "target/bench/kernel/files"), true);
      var library = Bot.library(config, memory);
      library.start();
      try (var bot = new Bot(config, memory, library, queue, recording(sends))) {
        if (!bot.sandbox().awaitReady()) {
          throw new IllegalStateException("the sandbox did not start");
        }
        queue.put(userMessage("hello"));
        Thread loop = Thread.ofPlatform().name("bench-kernel").start(bot::run);
        try {
          llm.awaitRequests(total, Duration.ofMinutes(3));
          awaitStamped(arrivals, total);
        } finally {
          bot.stop("benchmark over");
          loop.join(10_000);
        }
        int from = CODE_STEPS - STEPS;
        var warmup = new ArrayList<Double>();
        for (int b = 0; b < CODE_STEPS; b += BLOCK) {
          warmup.add(spans(arrivals, 0, arrivals, 1, b, b + BLOCK).p50());
        }
        return new Result(spans(arrivals, 0, arrivals, 1, from, CODE_STEPS),
            spans(arrivals, 0, sends, 0, from, CODE_STEPS),
            spans(sends, 0, arrivals, 1, from, CODE_STEPS),
            spans(arrivals, 0, arrivals, 1, bareStart, bareStart + STEPS),
            spans(arrivals, 0, arrivals, 1, noCodeStart, noCodeStart + STEPS), warmup,
            llm.requests().getLast().prompt().length(), bot.prompt().droppedTurns());
      }
    }
  }

  /** Reply i: send_message code; then code without a tool call; then plain text; sleep(). */
  private static Function<ScriptedLlmServer.Request, String> scripted(
      EventQueue queue, AtomicLongArray arrivals, int bareEnd, int total) {
    var count = new AtomicInteger();
    return request -> {
      int i = count.getAndIncrement();
      if (i < total) {
        arrivals.set(i, System.nanoTime());
      }
      if (i < total - 1) {
        // Without a message from outside the kernel would put a loop of ten steps to rest.
        queue.put(userMessage("message " + i));
      }
      if (i < CODE_STEPS) {
        return "Step " + i + ".\n```python\nsend_message('step " + i + "')\nprint('sent')\n```";
      }
      if (i < total - 1) {
        return i < bareEnd ? "Step " + i + ".\n```python\nx = " + i + "\n```"
            : "Noted, step " + i + "; nothing to do.";
      }
      return "Done.\n```python\nsleep()\n```";
    };
  }

  /** A channel that notes when the message of step i arrives. */
  private static Channel recording(AtomicLongArray sends) {
    return new Channel() {
      @Override
      public void send(String room, String text) {
        sends.set(Integer.parseInt(text.substring("step ".length())), System.nanoTime());
      }

      @Override
      public String defaultRoom() {
        return ROOM;
      }
    };
  }

  /** The responder stamps an arrival just after the server recorded the request. */
  private static void awaitStamped(AtomicLongArray arrivals, int total)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (arrivals.get(total - 1) == 0 && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
  }

  /** For each step i in [from, to): {@code end[i + endShift] - start[i + startShift]}. */
  private static Samples spans(AtomicLongArray start, int startShift, AtomicLongArray end,
      int endShift, int from, int to) {
    var spans = new ArrayList<Long>();
    for (int i = from; i < to; i++) {
      spans.add(end.get(i + endShift) - start.get(i + startShift));
    }
    return Samples.of(spans);
  }

  private static Event userMessage(String text) {
    return new Event.UserMessage(Instant.now(), "@bench:test", ROOM, text);
  }

  static void print(Result r) {
    var table = new Table("Kernel step without LLM time (scripted server answers at once; "
        + "steps with code: the last " + STEPS + " of " + CODE_STEPS + ")",
        "reply", "steps", "p50", "p99", "max");
    row(table, "send_message(...) code: prompt + HTTP + sandbox run with a tool call",
        r.withCode());
    row(table, "  of which: request arrives -> send_message reaches the bot", r.toTool());
    row(table, "  of which: send_message -> next request arrives", r.afterTool());
    row(table, "code without a tool call, `x = i` (a user message pushed each step)",
        r.codeWithoutTool());
    row(table, "no code (a user message pushed each step): prompt + HTTP only", r.withoutCode());
    table.note("Warm-up: p50 of each block of " + BLOCK + " steps with code, from the first: "
        + String.join(", ", r.warmup().stream().map(Table::ms).toList()) + ".")
        .note("Last prompt " + r.lastPromptChars() + " characters; dialogue turns dropped"
            + " (context_llm 8000): " + r.droppedTurns() + ". The scripted server runs with "
            + NODELAY + "=" + System.getProperty(NODELAY, "false") + "; without it, the JDK"
            + " server's Nagle delay adds about 40 ms to every step.")
        .goal("p50 of a step with code under 5 ms (" + Table.ms(r.withCode().p50()) + ")",
            r.withCode().p50() < 5)
        .print();
  }

  private static void row(Table table, String what, Samples s) {
    table.row(what, s.count(), Table.ms(s.p50()), Table.ms(s.p99()), Table.ms(s.maxMs()));
  }
}
