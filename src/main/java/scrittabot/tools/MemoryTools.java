package scrittabot.tools;

import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import scrittabot.kernel.Control;
import scrittabot.kernel.Event;
import scrittabot.memory.Memory;
import scrittabot.memory.Notes;
import scrittabot.memory.Search;

/**
 * The agent's tools for its memory: its own notes, and searching everything it has seen. Memory
 * also recalls by itself at every step; these are for looking on purpose.
 */
public final class MemoryTools {
  private static final int MAX_NOTE = 20_000;
  private static final int MAX_RESULTS = 30;
  private static final int MAX_TEXT = 500;

  private final Memory memory;
  private final Control control;

  public MemoryTools(Memory memory, Control control) {
    this.memory = memory;
    this.control = control;
  }

  public List<Tool> all() {
    return List.of(makeNote(), replaceNote(), searchNote(), searchMemory(), recallConversation());
  }

  Tool makeNote() {
    return new Tool("make_note", "summary, keywords=None", """
        Keep a fact for later in a note: one fact per note, in a full sentence. keywords:
        words to find it by. Returns the note's ref (like "n12").
        Example: make_note("FACT", ["KEYWORD", "KEYWORD"])""", args -> {
          String summary = note(args);
          List<String> keywords = keywords(args);
          Notes.Made made = database(args, () -> memory.notes().make(summary, keywords));
          if (made.repeated() != null) {
            return "not stored: note " + made.repeated().ref() + " already says this: \""
                + made.repeated().summary() + "\". To change it, replace_note(\""
                + made.repeated().ref() + "\", ...)";
          }
          control.acted("make_note");
          return made.note().ref();
        });
  }

  Tool replaceNote() {
    return new Tool("replace_note", "ref, summary=None, keywords=None", """
        Replace a note with a new summary and keywords, when a fact changed. Without a
        summary the note is deleted. Returns the new note's ref.
        Example: replace_note("REF", "NEW FACT")""", args -> {
          long id = noteId(args);
          String summary = args.optionalString("summary");
          if (summary != null) {
            summary = note(args);
          }
          List<String> keywords = args.optionalStrings("keywords");
          String text = summary;
          Notes.Note made;
          try {
            made = database(args, () -> memory.notes().replace(id, text, keywords));
          } catch (IllegalArgumentException e) {
            throw ToolError.value("replace_note(): " + e.getMessage());
          }
          control.acted("replace_note");
          return made == null ? "deleted n" + id : made.ref();
        });
  }

  Tool searchNote() {
    return new Tool("search_note",
        "keywords=None, summary_contains=None, date_from=None, date_to=None, query=None", """
        Find your notes by keywords, a text the summary contains, the date made
        ("YYYY-MM-DD") or query (matched by meaning). Newest first, or best match first with
        query. Returns a list of dicts: ref, summary, keywords, created.
        Example: print(search_note(query="QUESTION"))""",
        args -> {
          List<String> keywords = args.optionalStrings("keywords");
          String contains = args.optionalString("summary_contains");
          Instant from = date(args, "date_from", false);
          Instant to = date(args, "date_to", true);
          String query = args.optionalString("query");
          return database(args, () -> memory.notes().search(keywords, contains, from, to, query,
              MAX_RESULTS)).stream().map(MemoryTools::noteJson).toList();
        });
  }

  Tool searchMemory() {
    return new Tool("search_memory", "query, limit=5, kind=None", """
        Search all you remember (notes, documents, past conversation) by meaning and words.
        kind: "note", "message", "reply" or "document" to search only those. Returns a list
        of dicts: kind, ref, time, who, room, text.
        Example: print(search_memory("QUESTION"))""", args -> {
          String query = args.string("query");
          if (query.isBlank()) {
            throw ToolError.value("search_memory(): query is empty");
          }
          Double limitArg = args.optionalNumber("limit");
          int limit = limitArg == null ? 5 : (int) Math.max(1, Math.min(MAX_RESULTS, limitArg));
          String kind = args.optionalString("kind");
          Set<Search.Source> sources = kind == null ? EnumSet.allOf(Search.Source.class)
              : switch (kind) {
                case "note", "notes" -> EnumSet.of(Search.Source.NOTES);
                case "document", "documents" -> EnumSet.of(Search.Source.CHUNKS);
                case "message", "reply", "file" -> EnumSet.of(Search.Source.DIALOGUE);
                default -> throw ToolError.value("search_memory(): kind must be note, message, "
                    + "file, reply or document, not '" + kind + "'");
              };
          String dialogueKind = sources.equals(EnumSet.of(Search.Source.DIALOGUE)) ? kind : null;
          return database(args, () -> memory.searchRanked(query, sources, dialogueKind, null,
              limit)).stream().map(MemoryTools::hitJson).toList();
        });
  }

  Tool recallConversation() {
    return new Tool("recall_conversation", "date_from=None, date_to=None, query=None, room=None",
        """
        What was said between two dates ("YYYY-MM-DD" or "YYYY-MM-DD HH:MM"): messages, files
        and your replies, in one room or all, oldest first (the latest 30). With query, the
        best matches in that time instead. Returns a list of dicts: ref, time, kind, who,
        room, text.
        Example: print(recall_conversation(date_from="DATE", date_to="DATE"))""", args -> {
          Instant from = date(args, "date_from", false);
          Instant to = date(args, "date_to", true);
          String query = args.optionalString("query");
          String room = args.optionalString("room");
          List<Search.Hit> hits = database(args, () -> query == null || query.isBlank()
              ? memory.search().conversation(from, to, room, MAX_RESULTS)
              : memory.search().run(new Search.Query(query, memory.embeddings().embed(query),
                  EnumSet.of(Search.Source.DIALOGUE), Long.MAX_VALUE, true, from, to, room, null,
                  MAX_RESULTS)));
          return hits.stream().map(MemoryTools::hitJson).toList();
        });
  }

  /** A database call; an unreachable database is a readable error at once. */
  private interface DatabaseCall<T> {
    T call() throws SQLException;
  }

  private <T> T database(Tool.Args args, DatabaseCall<T> call) throws ToolError {
    try {
      memory.checkReachable();
      return call.call();
    } catch (IllegalStateException e) {
      throw new ToolError("OSError", args.tool() + "(): " + e.getMessage());
    } catch (SQLException e) {
      throw new ToolError("OSError", args.tool() + "(): the memory database failed: "
          + e.getMessage());
    }
  }

  private static String note(Tool.Args args) throws ToolError {
    String summary = args.string("summary").strip();
    if (summary.isEmpty()) {
      throw ToolError.value(args.tool() + "(): summary is empty");
    }
    if (summary.length() > MAX_NOTE) {
      throw ToolError.value(args.tool() + "(): summary has " + summary.length()
          + " characters; a note holds up to " + MAX_NOTE + ". Keep one fact per note.");
    }
    return summary;
  }

  private static List<String> keywords(Tool.Args args) throws ToolError {
    List<String> keywords = args.optionalStrings("keywords");
    return keywords == null ? List.of() : keywords;
  }

  private static long noteId(Tool.Args args) throws ToolError {
    Object ref = args.values().get("ref");
    String text = ref instanceof Number n ? String.valueOf(n.longValue())
        : ref instanceof String s ? s.strip() : "";
    try {
      return Long.parseLong(text.startsWith("n") ? text.substring(1) : text);
    } catch (NumberFormatException e) {
      throw ToolError.value(args.tool() + "(): ref must be a note's ref like \"n12\", not "
          + ref);
    }
  }

  /** "YYYY-MM-DD" (to: the end of that day), with a time, or ISO; in the bot's time zone. */
  static Instant date(Tool.Args args, String key, boolean endOfDay) throws ToolError {
    String text = args.optionalString(key);
    if (text == null || text.isBlank()) {
      return null;
    }
    String t = text.strip().replace(' ', 'T');
    ZoneId zone = ZoneId.systemDefault();
    try {
      if (t.length() == 10) {
        LocalDate day = LocalDate.parse(t);
        return (endOfDay ? day.plusDays(1) : day).atStartOfDay(zone).toInstant();
      }
      if (t.endsWith("Z") || t.matches(".*[+-]\\d\\d:\\d\\d$")) {
        return OffsetDateTime.parse(t).toInstant();
      }
      return LocalDateTime.parse(t).atZone(zone).toInstant();
    } catch (DateTimeParseException e) {
      throw ToolError.value(args.tool() + "(): " + key + " must be a date like \"2026-03-02\" "
          + "or \"2026-03-02 14:30\", not '" + text + "'");
    }
  }

  private static Map<String, Object> noteJson(Notes.Note n) {
    var json = new LinkedHashMap<String, Object>();
    json.put("ref", n.ref());
    json.put("summary", n.summary());
    json.put("keywords", n.keywords());
    json.put("created", Event.TIME.format(n.created()));
    return json;
  }

  private static Map<String, Object> hitJson(Search.Hit h) {
    var json = new LinkedHashMap<String, Object>();
    json.put("kind", h.kind());
    json.put("ref", h.ref());
    json.put("time", h.time() == null ? null : Event.TIME.format(h.time()));
    json.put("who", h.who());
    json.put("room", h.room());
    String text = h.text();
    json.put("text", text.length() > MAX_TEXT ? text.substring(0, MAX_TEXT) + "..." : text);
    return json;
  }
}
