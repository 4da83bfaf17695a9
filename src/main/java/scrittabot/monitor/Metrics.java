package scrittabot.monitor;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;
import scrittabot.memory.Memory;

/**
 * /metrics in Prometheus' text format, from what the memory records of every step (so the
 * counters survive restarts): steps, tokens, LLM time, messages waiting, documents by state,
 * notes. scrittabot_up is 0 while the database is away.
 */
final class Metrics {
  private Metrics() {}

  static String text(Memory memory) {
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
    return out.toString();
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
        .append(name).append(' ')
        .append(value == Math.rint(value) ? String.valueOf((long) value)
            : String.format(Locale.ROOT, "%.3f", value)).append('\n');
  }
}
