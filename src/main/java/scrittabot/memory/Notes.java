package scrittabot.memory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The agent's own notes. A replaced note is kept, superseded by its successor, and no longer
 * searched or recalled: stale facts do not come back, and nothing is lost. A new note that
 * nearly repeats a current one is not stored twice; the agent is told which one it resembles.
 */
public final class Notes {
  /** Word overlap (Jaccard) from which a new note counts as a repeat of an old one. */
  private static final double REPEAT = 0.8;

  /** A note as the agent sees it; its reference is "n" and its id. */
  public record Note(long id, String summary, List<String> keywords, Instant created,
      Instant updated) {
    public String ref() {
      return "n" + id;
    }
  }

  private final Database db;
  private final Embeddings embeddings;
  private final Search search;

  public Notes(Database db, Embeddings embeddings, Search search) {
    this.db = db;
    this.embeddings = embeddings;
    this.search = search;
  }

  /**
   * Stores a note, unless it nearly repeats a current one: then nothing is stored and that one
   * is returned in {@code repeated}.
   */
  public record Made(Note note, Note repeated) {}

  public Made make(String summary, List<String> keywords) throws SQLException {
    float[] vector = embeddings.embed(text(summary, keywords)); // once, for both uses
    Note similar = repeatOf(summary, keywords, vector);
    if (similar != null) {
      return new Made(null, similar);
    }
    return new Made(db.transaction(c -> insert(c, summary, keywords, vector)), null);
  }

  /**
   * Replaces note {@code id} with a new one (null summary: deletes it, that is, supersedes it
   * with nothing). Returns the new note, or null after a delete.
   */
  public Note replace(long id, String summary, List<String> keywords) throws SQLException {
    Note old = get(id);
    if (old == null) {
      throw new IllegalArgumentException("there is no note n" + id);
    }
    List<String> kept = keywords != null ? keywords : old.keywords();
    float[] vector = summary == null ? null : embeddings.embed(text(summary, kept));
    return db.transaction(c -> {
      try (var s = c.prepareStatement("SELECT superseded FROM notes WHERE id = ? FOR UPDATE")) {
        s.setLong(1, id);
        try (ResultSet r = s.executeQuery()) {
          if (r.next() && r.getTimestamp(1) != null) {
            throw new IllegalArgumentException("note n" + id + " was already replaced or "
                + "deleted; search for the current one");
          }
        }
      }
      Note made = summary == null ? null : insert(c, summary, kept, vector);
      try (var s = c.prepareStatement("UPDATE notes SET superseded = now(), superseded_by = ? "
          + "WHERE id = ?")) {
        if (made == null) {
          s.setNull(1, java.sql.Types.BIGINT);
        } else {
          s.setLong(1, made.id());
        }
        s.setLong(2, id);
        s.executeUpdate();
      }
      return made;
    });
  }

  /** A current or superseded note by id; null when there is none. */
  public Note get(long id) throws SQLException {
    return db.transaction(c -> {
      try (var s = c.prepareStatement("SELECT id, summary, keywords, created, updated FROM notes "
          + "WHERE id = ?")) {
        s.setLong(1, id);
        try (ResultSet r = s.executeQuery()) {
          return r.next() ? note(r) : null;
        }
      }
    });
  }

  /**
   * Current notes that match every filter given (null: no filter): any of the keywords, the
   * summary containing a text, created in a time range; newest first, or by a semantic query.
   */
  public List<Note> search(List<String> keywords, String summaryContains, Instant from,
      Instant to, String query, int limit) throws SQLException {
    if (query != null && !query.isBlank()) {
      return byMeaning(query, embeddings.embed(query), keywords, summaryContains, from, to,
          limit);
    }
    return db.transaction(c -> {
      var sql = new StringBuilder("SELECT id, summary, keywords, created, updated FROM notes "
          + "WHERE superseded IS NULL");
      var params = new ArrayList<Object>();
      if (keywords != null && !keywords.isEmpty()) {
        sql.append(" AND EXISTS (SELECT 1 FROM unnest(keywords) k WHERE lower(k) = ANY(?))");
        params.add(c.createArrayOf("text", keywords.stream().map(String::toLowerCase).toArray()));
      }
      if (summaryContains != null) {
        sql.append(" AND strpos(lower(summary), lower(?)) > 0");
        params.add(StoredText.encode(summaryContains));
      }
      if (from != null) {
        sql.append(" AND created >= ?");
        params.add(Timestamp.from(from));
      }
      if (to != null) {
        sql.append(" AND created < ?");
        params.add(Timestamp.from(to));
      }
      sql.append(" ORDER BY updated DESC LIMIT ").append(limit);
      try (var s = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < params.size(); i++) {
          s.setObject(i + 1, params.get(i));
        }
        var notes = new ArrayList<Note>();
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            notes.add(note(r));
          }
        }
        return notes;
      }
    });
  }

  /** Current notes best matching a query (its vector may be null: words alone), filtered. */
  private List<Note> byMeaning(String query, float[] vector, List<String> keywords,
      String summaryContains, Instant from, Instant to, int limit) throws SQLException {
    var hits = search.run(new Search.Query(query, vector, Set.of(Search.Source.NOTES), 0, false,
        from, to, null, null, limit * 4));
    var found = new ArrayList<Note>();
    for (Search.Hit hit : hits) {
      Note n = get(Long.parseLong(hit.ref().substring(1)));
      if (n != null && matches(n, keywords, summaryContains) && found.size() < limit) {
        found.add(n);
      }
    }
    return found;
  }

  private static boolean matches(Note n, List<String> keywords, String summaryContains) {
    boolean keywordOk = keywords == null || keywords.isEmpty() || n.keywords().stream()
        .anyMatch(k -> keywords.stream().anyMatch(k::equalsIgnoreCase));
    return keywordOk && (summaryContains == null
        || n.summary().toLowerCase().contains(summaryContains.toLowerCase()));
  }

  /** A current note whose words nearly all are this one's (and the other way round). */
  private Note repeatOf(String summary, List<String> keywords, float[] vector)
      throws SQLException {
    Set<String> words = Search.words(text(summary, keywords));
    if (words.isEmpty()) {
      return null;
    }
    for (Note candidate : byMeaning(text(summary, keywords), vector, null, null, null, null,
        10)) {
      if (Search.overlap(words, Search.words(text(candidate.summary(), candidate.keywords())))
          >= REPEAT) {
        return candidate;
      }
    }
    return null;
  }

  static String text(String summary, List<String> keywords) {
    return keywords.isEmpty() ? summary : summary + " " + String.join(" ", keywords);
  }

  private static Note insert(Connection c, String summary, List<String> keywords, float[] vector)
      throws SQLException {
    try (PreparedStatement s = c.prepareStatement("INSERT INTO notes (summary, keywords, "
        + "embedding, words) VALUES (?, ?, ?, search_words(?)) "
        + "RETURNING id, summary, keywords, created, updated")) {
      s.setString(1, StoredText.encode(summary));
      s.setArray(2, c.createArrayOf("text", keywords.stream().map(StoredText::encode).toArray()));
      if (vector == null) {
        s.setNull(3, java.sql.Types.OTHER);
      } else {
        s.setObject(3, Embeddings.vector(vector));
      }
      s.setString(4, StoredText.encode(text(summary, keywords)));
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return note(r);
      }
    }
  }

  private static Note note(ResultSet r) throws SQLException {
    return new Note(r.getLong(1), StoredText.decode(r.getString(2)),
        Arrays.stream((String[]) r.getArray(3).getArray()).map(StoredText::decode).toList(),
        r.getTimestamp(4).toInstant(), r.getTimestamp(5).toInstant());
  }
}
