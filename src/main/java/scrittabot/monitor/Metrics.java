package scrittabot.monitor;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import scrittabot.kernel.Watcher;
import scrittabot.llm.LlmScheduler;
import scrittabot.memory.Memory;

/**
 * /metrics in Prometheus' text format. Totals come from what the memory records of every step
 * (so they survive restarts): steps, tokens, LLM time, messages waiting, documents by state,
 * notes; scrittabot_up is 0 while the database is away. Latency histograms and error counts are
 * kept as the kernel tells them, since the bot started (Prometheus takes counters that restart).
 */
final class Metrics implements Watcher {
  /** Bucket bounds in seconds: from a quick recall to a long step of a CPU-bound LLM. */
  static final double[] BOUNDS = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
      600};
  private static final Map<Timing, String[]> HISTOGRAMS = Map.of(
      Timing.STEP, new String[] {"scrittabot_step_seconds", "How long steps took."},
      Timing.RECALL, new String[] {"scrittabot_recall_seconds",
          "How long recall took at the start of a step."},
      Timing.LLM, new String[] {"scrittabot_step_llm_seconds",
          "How long a step waited for the LLM's reply."},
      Timing.CODE, new String[] {"scrittabot_code_seconds", "How long a code block ran."});

  /** One histogram: counts per bucket (the last is above every bound) and their sum. */
  private static final class Histogram {
    final long[] counts = new long[BOUNDS.length + 1];
    double sum;
  }

  private final Map<Timing, Histogram> timings = new EnumMap<>(Timing.class);
  private final Map<Failure, Long> failures = new EnumMap<>(Failure.class);

  Metrics() {
    for (Timing t : Timing.values()) {
      timings.put(t, new Histogram());
    }
    for (Failure f : Failure.values()) {
      failures.put(f, 0L);
    }
  }

  @Override
  public synchronized void took(Timing what, Duration time) {
    double seconds = time.toNanos() / 1e9;
    int bucket = 0;
    while (bucket < BOUNDS.length && seconds > BOUNDS[bucket]) {
      bucket++;
    }
    Histogram h = timings.get(what);
    h.counts[bucket]++;
    h.sum += seconds;
  }

  @Override
  public synchronized void failed(Failure what, String detail) {
    failures.merge(what, 1L, Long::sum);
  }

  /** The page: the database's totals, then what this run measured. */
  String text(Memory memory, int pages, Monitor.Controls bot) {
    StringBuilder out = totals(memory);
    if (bot != null) {
      LlmScheduler.Calls calls = bot.llmCalls().get();
      out.append("# HELP scrittabot_llm_calls_total LLM calls since the bot started: the agent's "
          + "and the background's (summaries, image descriptions).\n"
          + "# TYPE scrittabot_llm_calls_total counter\n")
          .append("scrittabot_llm_calls_total{who=\"agent\"} ").append(calls.agent()).append('\n')
          .append("scrittabot_llm_calls_total{who=\"background\"} ").append(calls.background())
          .append('\n');
    }
    boolean paused = bot != null && bot.pause().paused();
    synchronized (this) {
      for (Timing t : Timing.values()) {
        histogram(out, HISTOGRAMS.get(t)[0], HISTOGRAMS.get(t)[1], timings.get(t));
      }
      counter(out, "scrittabot_sandbox_restarts_total", "Times the Python sandbox was "
          + "restarted (code that ran too long or used too much memory).",
          failures.get(Failure.SANDBOX_RESTART));
      out.append("# HELP scrittabot_errors_total Errors in steps: the LLM failed, the agent's "
          + "code failed, a step failed in the bot.\n# TYPE scrittabot_errors_total counter\n");
      for (Failure f : List.of(Failure.LLM, Failure.CODE, Failure.STEP)) {
        out.append("scrittabot_errors_total{kind=\"").append(f.name().toLowerCase())
            .append("\"} ").append(failures.get(f)).append('\n');
      }
    }
    gauge(out, "scrittabot_paused", "1 while the agent is paused from the monitor page.",
        paused ? 1 : 0);
    gauge(out, "scrittabot_monitor_pages", "Monitor pages following the agent live.", pages);
    return out.toString();
  }

  private static void histogram(StringBuilder out, String name, String help, Histogram h) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n')
        .append("# TYPE ").append(name).append(" histogram\n");
    long cumulative = 0;
    for (int i = 0; i <= BOUNDS.length; i++) {
      cumulative += h.counts[i];
      out.append(name).append("_bucket{le=\"")
          .append(i == BOUNDS.length ? "+Inf" : number(BOUNDS[i])).append("\"} ")
          .append(cumulative).append('\n');
    }
    out.append(name).append("_sum ").append(number(h.sum)).append('\n')
        .append(name).append("_count ").append(cumulative).append('\n');
  }

  private static StringBuilder totals(Memory memory) {
    var out = new StringBuilder();
    try {
      memory.database().transaction(c -> {
        try (var s = c.createStatement()) {
          try (ResultSet r = s.executeQuery("SELECT count(*), coalesce(sum(prompt_tokens), 0), "
              + "coalesce(sum(cached_tokens), 0), coalesce(sum(completion_tokens), 0), "
              + "coalesce(sum(llm_ms), 0) FROM steps")) {
            r.next();
            counter(out, "scrittabot_steps_total", "Steps the agent took.", r.getLong(1));
            counter(out, "scrittabot_prompt_tokens_total", "Prompt tokens sent to the LLM.",
                r.getLong(2));
            counter(out, "scrittabot_cached_prompt_tokens_total",
                "Prompt tokens the LLM server reused from its cache.", r.getLong(3));
            counter(out, "scrittabot_completion_tokens_total", "Tokens the LLM wrote.",
                r.getLong(4));
            counter(out, "scrittabot_llm_seconds_total", "Time spent waiting for the LLM.",
                r.getLong(5) / 1000.0);
          }
          try (ResultSet r = s.executeQuery("SELECT count(*) FROM dialogue WHERE step IS NULL "
              + "AND NOT dropped AND NOT answered")) {
            r.next();
            gauge(out, "scrittabot_events_waiting", "Events not yet shown to the agent.",
                r.getLong(1));
          }
          try (ResultSet r = s.executeQuery("SELECT count(*) FROM notes "
              + "WHERE superseded IS NULL")) {
            r.next();
            gauge(out, "scrittabot_notes", "The agent's current notes.", r.getLong(1));
          }
          out.append("# HELP scrittabot_documents Documents in the library by indexing state.\n")
              .append("# TYPE scrittabot_documents gauge\n");
          try (ResultSet r = s.executeQuery("SELECT state, count(*) FROM documents "
              + "GROUP BY state ORDER BY state")) {
            while (r.next()) {
              out.append("scrittabot_documents{state=\"")
                  .append(r.getString(1).replaceAll("[^a-z ]", "")).append("\"} ")
                  .append(r.getLong(2)).append('\n');
            }
          }
        }
        return null;
      });
      gauge(out, "scrittabot_up", "1 while the bot reads its database.", 1);
    } catch (SQLException | RuntimeException e) {
      out.setLength(0);
      gauge(out, "scrittabot_up", "1 while the bot reads its database.", 0);
    }
    return out;
  }

  private static void counter(StringBuilder out, String name, String help, double value) {
    metric(out, name, help, "counter", value);
  }

  private static void gauge(StringBuilder out, String name, String help, double value) {
    metric(out, name, help, "gauge", value);
  }

  private static void metric(StringBuilder out, String name, String help, String type,
      double value) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n')
        .append("# TYPE ").append(name).append(' ').append(type).append('\n')
        .append(name).append(' ').append(number(value)).append('\n');
  }

  private static String number(double value) {
    return value == Math.rint(value) ? String.valueOf((long) value)
        : String.format(Locale.ROOT, "%.3f", value);
  }
}
