package scrittabot.monitor;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import scrittabot.Json;
import scrittabot.library.Library;
import scrittabot.memory.Memory;
import scrittabot.memory.StoredText;

/**
 * What the page shows, read afresh from the memory for each request: the agent's mood and goals,
 * the latest steps with their figures, the files and their indexing (notes and the dialogue
 * are {@link Views}, asked for by the page). The page
 * never touches the kernel's live structures. With the database away it says so and shows what
 * it can.
 */
final class Snapshot {
  static final int STEPS = 50;
  private static final int TEXT_CHARS = 4000;

  private Snapshot() {}

  static Map<String, Object> read(Memory memory, Library library) {
    var out = new LinkedHashMap<String, Object>();
    out.put("time", Instant.now().toString());
    try {
      String agent = memory.load("agent");
      Map<String, Object> state = agent == null ? Map.of() : Json.parseObject(agent);
      out.put("agent", state);
      out.put("corner", Corner.html(state.get("page") instanceof String page ? page : null));
      String sleep = memory.load("sleep");
      out.put("sleep", sleep == null ? null : Json.parseObject(sleep));
      out.put("steps", steps(memory));
      out.put("hours", Views.hours(memory));
      out.put("files", library.list(null).stream().map(f -> {
        var file = new LinkedHashMap<String, Object>();
        file.put("filename", f.filename());
        file.put("type", f.mimeType());
        file.put("size", f.size());
        file.put("sender", f.sender());
        file.put("received", f.received().toString());
        file.put("state", f.state());
        file.put("progress", f.progress());
        file.put("summary", f.summary());
        return (Object) file;
      }).toList());
      out.put("database", "ok");
    } catch (SQLException | RuntimeException e) {
      out.put("database", "away: " + e.getMessage());
    }
    return out;
  }

  private static List<Object> steps(Memory memory) throws SQLException {
    return memory.database().transaction(c -> {
      var list = new ArrayList<Object>();
      try (var s = c.prepareStatement("SELECT step, started, ended, prompt_tokens, "
          + "cached_tokens, completion_tokens, llm_ms, shown, reply, info FROM steps "
          + "ORDER BY step DESC LIMIT " + STEPS);
          ResultSet r = s.executeQuery()) {
        while (r.next()) {
          var step = new LinkedHashMap<String, Object>();
          step.put("step", r.getLong(1));
          step.put("started", r.getTimestamp(2).toInstant().toString());
          step.put("ended", r.getTimestamp(3).toInstant().toString());
          step.put("prompt_tokens", r.getObject(4));
          step.put("cached_tokens", r.getObject(5));
          step.put("completion_tokens", r.getObject(6));
          step.put("llm_ms", r.getObject(7));
          step.put("shown", cut(StoredText.decode(r.getString(8))));
          step.put("reply", cut(StoredText.decode(r.getString(9))));
          String info = r.getString(10);
          step.put("info", info == null ? null : Json.parse(StoredText.decode(info)));
          list.add(step);
        }
      }
      return list;
    });
  }

  static String cut(String text) {
    return text.length() <= TEXT_CHARS ? text : text.substring(0, TEXT_CHARS) + "…";
  }
}
