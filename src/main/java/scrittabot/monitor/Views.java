package scrittabot.monitor;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import scrittabot.memory.Memory;
import scrittabot.memory.StoredText;

/**
 * The page's views into memory, each a query the person asks: notes by a word in them (newest,
 * most recalled, or those replaced or deleted), the dialogue log by a word and a day, and the
 * figures of the last two days by hour. Read from the database at each request.
 */
final class Views {
  static final int ROWS = 100;

  private Views() {}

  /** Notes holding {@code text} (any, when blank), in one of three orders. */
  static List<Object> notes(Memory memory, String text, String order) throws SQLException {
    String where = switch (order) {
      case "superseded" -> "superseded IS NOT NULL";
      default -> "superseded IS NULL";
    };
    String orderBy = switch (order) {
      case "recalled" -> "recall_count DESC, id DESC";
      case "superseded" -> "superseded DESC";
      default -> "id DESC";
    };
    return memory.database().transaction(c -> {
      var list = new ArrayList<Object>();
      try (var s = c.prepareStatement("SELECT id, created, summary, keywords, recall_count, "
          + "last_recalled, superseded, superseded_by FROM notes WHERE " + where
          + " AND (summary ILIKE ? OR array_to_string(keywords, ' ') ILIKE ?) ORDER BY "
          + orderBy + " LIMIT " + ROWS)) {
        String like = like(text);
        s.setString(1, like);
        s.setString(2, like);
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            var note = new LinkedHashMap<String, Object>();
            note.put("ref", "n" + r.getLong(1));
            note.put("created", instant(r, 2));
            note.put("summary", StoredText.decode(r.getString(3)));
            note.put("keywords", Arrays.stream((String[]) r.getArray(4).getArray())
                .map(StoredText::decode).toList());
            note.put("recalled", r.getInt(5));
            note.put("last_recalled", instant(r, 6));
            note.put("superseded", instant(r, 7));
            long by = r.getLong(8);
            note.put("superseded_by", r.wasNull() ? null : "n" + by);
            list.add(note);
          }
        }
      }
      return list;
    });
  }

  /**
   * The dialogue log, newest first: rows holding {@code text} (any, when blank) up to the end
   * of {@code day} (UTC; today when null).
   */
  static List<Object> dialogue(Memory memory, String text, LocalDate day) throws SQLException {
    var until = (day == null ? LocalDate.now(ZoneOffset.UTC) : day).plusDays(1)
        .atStartOfDay(ZoneOffset.UTC).toOffsetDateTime();
    return memory.database().transaction(c -> {
      var list = new ArrayList<Object>();
      try (var s = c.prepareStatement("SELECT id, time, kind, room, sender, text, step, "
          + "dropped FROM dialogue WHERE time < ? AND text ILIKE ? ORDER BY time DESC, id DESC "
          + "LIMIT " + ROWS)) {
        s.setObject(1, until);
        s.setString(2, like(text));
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            var row = new LinkedHashMap<String, Object>();
            row.put("ref", "d" + r.getLong(1));
            row.put("time", instant(r, 2));
            row.put("kind", r.getString(3));
            row.put("room", r.getString(4));
            row.put("sender", r.getString(5));
            row.put("text", Snapshot.cut(StoredText.decode(r.getString(6))));
            long step = r.getLong(7);
            row.put("step", r.wasNull() ? null : step);
            row.put("dropped", r.getBoolean(8));
            list.add(row);
          }
        }
      }
      return list;
    });
  }

  /** Per hour of the last 48: steps, the agent's LLM calls, mean step and LLM seconds. */
  static List<Object> hours(Memory memory) throws SQLException {
    return memory.database().transaction(c -> {
      var list = new ArrayList<Object>();
      try (var s = c.prepareStatement("SELECT date_trunc('hour', started) AS hour, count(*), "
          + "count(*) + count(*) FILTER (WHERE info LIKE '%\"asked_again\"%'), "
          + "avg(extract(epoch FROM ended - started)), avg(llm_ms) / 1000.0 FROM steps "
          + "WHERE started > now() - interval '48 hours' GROUP BY hour ORDER BY hour");
          ResultSet r = s.executeQuery()) {
        while (r.next()) {
          var hour = new LinkedHashMap<String, Object>();
          hour.put("hour", instant(r, 1));
          hour.put("steps", r.getLong(2));
          hour.put("llm_calls", r.getLong(3));
          hour.put("step_seconds", r.getDouble(4));
          hour.put("llm_seconds", r.getDouble(5));
          list.add(hour);
        }
      }
      return list;
    });
  }

  /** A pattern for ILIKE that finds {@code text} as it is: its % and _ are not wildcards. */
  private static String like(String text) {
    String plain = text == null ? "" : text.strip();
    return "%" + plain.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
  }

  private static String instant(ResultSet r, int column) throws SQLException {
    var time = r.getTimestamp(column);
    return time == null ? null : time.toInstant().toString();
  }
}
