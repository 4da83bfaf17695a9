package scrittabot.memory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Hybrid search over notes, the dialogue log and document chunks: nearest neighbours by cosine
 * distance (HNSW) and PostgreSQL's full-text search with the language-neutral 'simple'
 * configuration, fused by rank (reciprocal rank fusion), near-duplicates shown once.
 *
 * <p>Every vector query is written so that pgvector really uses its index: {@code ORDER BY
 * embedding <=> ? LIMIT k}, ascending, on one table, with no distance threshold (a test checks
 * the plans). Filters on other columns are applied to the index's candidates; pgvector 0.8's
 * iterative scans keep looking when a filter drops many.
 */
public final class Search {
  /**
   * How many candidates each list gives to the fusion: many, since near-duplicates are dropped
   * after it (a hundred "I see."s near a short question must leave room for the rest). HNSW
   * finds about ef_search of them at one go.
   */
  private static final int VECTOR_CANDIDATES = 100;
  private static final int WORD_CANDIDATES = 40;
  /** The usual constant of reciprocal rank fusion: ranks far down count little, never nothing. */
  private static final int RRF_K = 60;
  /**
   * HNSW's search breadth: 200 found 0.999 of the exact ten nearest at 100k items in about 4 ms
   * (recall benchmark), and held the planted facts at 49 of 50 where 100 wavered at 46-49.
   */
  static final int EF_SEARCH = 200;
  /**
   * Kana and CJK ideographs: each is a word of its own in the words columns (search_words() in
   * schema-3.sql, the same ranges), searched as neighbouring pairs.
   */
  private static final String CJK = "\\u3040-\\u30FF\\u3400-\\u4DBF\\u4E00-\\u9FFF\\uF900-\\uFAFF\\uFF66-\\uFF9F";
  private static final Pattern CJK_RUN = Pattern.compile("[" + CJK + "]+");
  private static final Pattern WORD = Pattern.compile(
      "[" + CJK + "]+|[\\p{L}\\p{N}_&&[^" + CJK + "]]{3,}");
  private static final Pattern WORD_ANY = Pattern.compile("[\\p{L}\\p{N}]+");
  private static final int QUERY_WORDS = 16;

  /** The dialogue's kinds worth finding: people's messages and files, the agent's replies. */
  static final List<String> DIALOGUE_KINDS = List.of("message", "file", "reply");

  /** What can be searched. */
  public enum Source { NOTES, DIALOGUE, CHUNKS }

  /**
   * One search. {@code vector} may be null (full text alone); {@code text} may be empty (the
   * vector alone). Dialogue rows count when their step is below {@code beforeStep} (rows no step
   * showed yet count when {@code withWaiting}); the other filters may be null.
   */
  public record Query(String text, float[] vector, Set<Source> sources, long beforeStep,
      boolean withWaiting, Instant from, Instant to, String room, String kind, Long document,
      int limit) {
    /** A query over everything, or filtered by time, room and kind; not within one document. */
    public Query(String text, float[] vector, Set<Source> sources, long beforeStep,
        boolean withWaiting, Instant from, Instant to, String room, String kind, int limit) {
      this(text, vector, sources, beforeStep, withWaiting, from, to, room, kind, null, limit);
    }
  }

  /**
   * Something found: its kind (note, message, reply, document, summary), reference, date and
   * text; {@code part} says where in a document a part or summary is (null for the rest).
   */
  public record Hit(String kind, String ref, Instant time, String who, String room, String text,
      double score, Part part) {
    public Hit(String kind, String ref, Instant time, String who, String room, String text,
        double score) {
      this(kind, ref, time, who, room, text, score, null);
    }

    public Hit withScore(double newScore) {
      return new Hit(kind, ref, time, who, room, text, newScore, part);
    }

    /** Whether this is a summary of a span that {@code other}, a part of the text, lies in. */
    boolean covers(Hit other) {
      return part != null && other.part() != null && kind.equals("summary")
          && other.kind().equals("document") && part.document() == other.part().document()
          && part.start() != null && other.part().start() != null
          && part.start() <= other.part().start() && other.part().start() < part.end();
    }
  }

  /** A chunk's place: its document and span of the text (null for an image's description). */
  public record Part(long document, Long start, Long end) {}

  private static final double COMMON_SHARE = 0.05;
  private static final long COMMON_TTL_NANOS = 5L * 60 * 1_000_000_000;

  private final Database db;
  private volatile Set<String> common;
  private volatile long commonRead;

  public Search(Database db) {
    this.db = db;
  }

  public List<Hit> run(Query q) throws SQLException {
    String tsQuery = tsQuery(q.text(), commonWords());
    return db.transaction(c -> {
      tune(c);
      var lists = new ArrayList<List<Hit>>();
      for (Source source : q.sources()) {
        List<String> kinds = q.kind() != null ? List.of(q.kind()) : DIALOGUE_KINDS;
        if (q.vector() != null) {
          lists.add(find(c, source, q, null, kinds));
        }
        if (tsQuery != null) {
          lists.add(find(c, source, q, tsQuery, kinds));
        }
      }
      return fuse(lists, q.limit());
    });
  }

  /**
   * What was said from {@code from} to {@code to} (either may be null), in a room or all:
   * people's messages and files and the agent's replies, oldest first; the latest {@code limit}.
   */
  public List<Hit> conversation(Instant from, Instant to, String room, int limit)
      throws SQLException {
    return db.transaction(c -> {
      try (var s = c.prepareStatement("SELECT id, time, kind, sender, room, text FROM dialogue "
          + "WHERE kind IN ('message', 'file', 'reply') AND time >= ? AND time < ?"
          + (room == null ? "" : " AND room = ?") + " ORDER BY time DESC, id DESC LIMIT ?")) {
        s.setTimestamp(1, Timestamp.from(from == null ? Instant.EPOCH : from));
        s.setTimestamp(2, Timestamp.from(to == null ? Instant.now().plusSeconds(3600) : to));
        int i = 3;
        if (room != null) {
          s.setString(i++, room);
        }
        s.setInt(i, limit);
        var hits = new ArrayList<Hit>();
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            hits.add(hit(Source.DIALOGUE, r));
          }
        }
        return hits.reversed();
      }
    });
  }

  /**
   * The words of a text as an OR query, without the words that most of what is stored holds
   * ("the", "and", "ja", "che": whatever the language): they match everything and rank nothing.
   * Long words first when there are many. A run of Japanese or Chinese gives its neighbouring
   * pairs of characters ("東京に" gives 東 <-> 京 and 京 <-> に), in the order they come.
   */
  static String tsQuery(String text, Set<String> common) {
    if (text == null) {
      return null;
    }
    Set<String> words = new HashSet<>();
    Set<String> pairs = new LinkedHashSet<>();
    Matcher m = WORD.matcher(text.toLowerCase());
    while (m.find()) {
      String w = m.group();
      if (!CJK_RUN.matcher(w).matches()) {
        if (!common.contains(w)) {
          words.add(w);
        }
      } else if (w.length() == 1) {
        if (!common.contains(w)) {
          pairs.add(w);
        }
      } else {
        for (int i = 0; i + 1 < w.length(); i++) {
          String a = w.substring(i, i + 1);
          String b = w.substring(i + 1, i + 2);
          if (!common.contains(a) || !common.contains(b)) {
            pairs.add("(" + a + " <-> " + b + ")");
          }
        }
      }
    }
    List<String> chosen = new ArrayList<>(words.stream()
        .sorted((a, b) -> b.length() != a.length() ? b.length() - a.length() : a.compareTo(b))
        .limit(QUERY_WORDS).toList());
    pairs.stream().limit(QUERY_WORDS).forEach(chosen::add);
    return chosen.isEmpty() ? null : String.join(" | ", chosen);
  }

  /**
   * Words in more than {@value #COMMON_SHARE} of the rows of a searched table, from the
   * statistics PostgreSQL keeps anyway (ANALYZE, run by autovacuum as tables grow); read again
   * every few minutes. Empty for a young memory, which has no statistics yet.
   */
  private Set<String> commonWords() throws SQLException {
    long now = System.nanoTime();
    if (now - commonRead < COMMON_TTL_NANOS && common != null) {
      return common;
    }
    Set<String> words = db.transaction(c -> {
      var found = new HashSet<String>();
      try (var s = c.prepareStatement("SELECT most_common_elems::text, most_common_elem_freqs "
          + "FROM pg_stats WHERE schemaname = '" + Database.SCHEMA + "' AND attname = 'words' "
          + "AND most_common_elems IS NOT NULL");
          ResultSet r = s.executeQuery()) {
        while (r.next()) {
          String[] elems = parseTextArray(r.getString(1));
          Float[] freqs = (Float[]) r.getArray(2).getArray();
          for (int i = 0; i < elems.length && i < freqs.length; i++) {
            if (freqs[i] > COMMON_SHARE) {
              found.add(elems[i]);
            }
          }
        }
      }
      return found;
    });
    common = words;
    commonRead = now;
    return words;
  }

  /** {a,b,"c d"} as PostgreSQL writes a text array; lexemes of 'simple' hold no quotes. */
  private static String[] parseTextArray(String text) {
    String inner = text.substring(1, text.length() - 1);
    return inner.isEmpty() ? new String[0] : inner.replace("\"", "").split(",");
  }

  private void tune(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET LOCAL hnsw.ef_search = " + EF_SEARCH);
      if (db.hasIterativeScans()) {
        s.execute("SET LOCAL hnsw.iterative_scan = relaxed_order");
      }
    }
  }

  /** The SQL of one list: by vector or by full text. */
  static String sql(Source source, Query q, boolean byVector) {
    String order = byVector ? " ORDER BY embedding <=> ? LIMIT ?"
        : " AND words @@ to_tsquery('simple', ?) ORDER BY ts_rank(words, to_tsquery('simple', ?))"
            + " DESC LIMIT ?";
    return switch (source) {
      case NOTES -> "SELECT id, created, summary, keywords FROM notes WHERE superseded IS NULL"
          + (q.from() == null ? "" : " AND created >= ?")
          + (q.to() == null ? "" : " AND created < ?") + order;
      case DIALOGUE -> "SELECT id, time, kind, sender, room, text FROM dialogue WHERE "
          + (q.withWaiting() ? "(step < ? OR step IS NULL)" : "step < ?") + " AND kind = ANY(?)"
          + (q.from() == null ? "" : " AND time >= ?") + (q.to() == null ? "" : " AND time < ?")
          + (q.room() == null ? "" : " AND room = ?") + order;
      case CHUNKS -> "SELECT id, document, depth, text, start_offset, end_offset, keywords "
          + "FROM chunks WHERE "
          + (q.document() == null ? "true" : "document = ?") + order;
    };
  }

  private List<Hit> find(Connection c, Source source, Query q, String tsQuery,
      List<String> kinds) throws SQLException {
    try (PreparedStatement s = prepare(c, "", source, q, tsQuery, kinds);
        ResultSet r = s.executeQuery()) {
      if (source == Source.CHUNKS) {
        var chunks = new ArrayList<Chunk>();
        while (r.next()) {
          chunks.add(new Chunk(r.getLong(1), r.getLong(2), r.getInt(3),
              StoredText.decode(r.getString(4)), (Long) r.getObject(5), (Long) r.getObject(6),
              (String[]) r.getArray(7).getArray()));
        }
        return named(c, chunks);
      }
      var hits = new ArrayList<Hit>();
      while (r.next()) {
        hits.add(hit(source, r));
      }
      return hits;
    }
  }

  /** The plan PostgreSQL chooses for one vector list, with the parameters bound: for tests. */
  String explain(Source source, Query q) throws SQLException {
    return db.transaction(c -> {
      tune(c);
      try (Statement s = c.createStatement()) {
        s.execute("SET LOCAL enable_seqscan = off"); // tables in tests are small
      }
      try (PreparedStatement s = prepare(c, "EXPLAIN ", source, q, null, DIALOGUE_KINDS);
          ResultSet r = s.executeQuery()) {
        var plan = new StringBuilder();
        while (r.next()) {
          plan.append(r.getString(1)).append('\n');
        }
        return plan.toString();
      }
    });
  }

  /** One list's statement with its parameters bound: by vector when {@code tsQuery} is null. */
  private static PreparedStatement prepare(Connection c, String prefix, Source source, Query q,
      String tsQuery, List<String> kinds) throws SQLException {
    boolean byVector = tsQuery == null;
    PreparedStatement s = c.prepareStatement(prefix + sql(source, q, byVector));
    int i = 1;
    if (source == Source.DIALOGUE) {
      s.setLong(i++, q.beforeStep());
      s.setArray(i++, c.createArrayOf("text", kinds.toArray()));
    }
    if (source == Source.CHUNKS && q.document() != null) {
      s.setLong(i++, q.document());
    }
    if (source != Source.CHUNKS) {
      if (q.from() != null) {
        s.setTimestamp(i++, Timestamp.from(q.from()));
      }
      if (q.to() != null) {
        s.setTimestamp(i++, Timestamp.from(q.to()));
      }
    }
    if (source == Source.DIALOGUE) {
      if (q.room() != null) {
        s.setString(i++, q.room());
      }
    }
    if (byVector) {
      s.setObject(i++, Embeddings.vector(q.vector()));
    } else {
      s.setString(i++, tsQuery);
      s.setString(i++, tsQuery);
    }
    s.setInt(i, byVector ? VECTOR_CANDIDATES : WORD_CANDIDATES);
    return s;
  }

  private static Hit hit(Source source, ResultSet r) throws SQLException {
    return switch (source) {
      case NOTES -> {
        String keywords = Arrays.stream((String[]) r.getArray(4).getArray())
            .map(StoredText::decode).collect(Collectors.joining(", "));
        yield new Hit("note", "n" + r.getLong(1), r.getTimestamp(2).toInstant(), null, null,
            StoredText.decode(r.getString(3)) + (keywords.isEmpty() ? "" : " [" + keywords + "]"),
            0);
      }
      case DIALOGUE -> new Hit(r.getString(3), "d" + r.getLong(1),
          r.getTimestamp(2).toInstant(), StoredText.decode(r.getString(4)),
          StoredText.decode(r.getString(5)), StoredText.decode(r.getString(6)), 0);
      case CHUNKS -> throw new IllegalArgumentException("chunks are read by find()");
    };
  }

  /**
   * A part of a document as stored: text at depth 0, a summary of its span above. An image's
   * description has no span (null): its text is not the file's.
   */
  private record Chunk(long id, long document, int depth, String text, Long start, Long end,
      String[] keywords) {}

  /**
   * Chunks get their document's name and date in a query of their own (a join in the vector
   * query would keep pgvector from its index), and say where they are: "NAME from character
   * N" for the text itself, "NAME, summary of characters A-B" for a summary, "NAME, its
   * description" for an image's.
   */
  private static List<Hit> named(Connection c, List<Chunk> chunks) throws SQLException {
    if (chunks.isEmpty()) {
      return List.of();
    }
    record Named(String filename, Instant received) {}
    var names = new HashMap<Long, Named>();
    // a document that no file holds any more (the agent rewrote its file) is not found
    try (var s = c.prepareStatement("SELECT id, filename, received FROM documents "
        + "WHERE id = ANY(?) AND state <> 'replaced'")) {
      s.setArray(1, c.createArrayOf("bigint", chunks.stream().map(Chunk::document)
          .distinct().toArray()));
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          names.put(r.getLong(1), new Named(StoredText.decode(r.getString(2)),
              r.getTimestamp(3).toInstant()));
        }
      }
    }
    return chunks.stream().filter(chunk -> names.containsKey(chunk.document())).map(chunk -> {
      Named doc = names.get(chunk.document());
      String name = doc.filename();
      String keywords = Arrays.stream(chunk.keywords()).map(StoredText::decode)
          .collect(Collectors.joining(", "));
      String where = chunk.start() == null
          ? name + (chunk.depth() == 0 ? ", its description" : ", in one line")
          : chunk.depth() == 0 ? name + " from character " + chunk.start()
          : name + ", summary of characters " + chunk.start() + "-" + chunk.end();
      String text = chunk.depth() == 0 && chunk.start() != null || keywords.isEmpty()
          ? chunk.text() : chunk.text() + " [" + keywords + "]";
      return new Hit(chunk.depth() == 0 ? "document" : "summary", "c" + chunk.id(),
          doc.received(), where, null, text, 0,
          new Part(chunk.document(), chunk.start(), chunk.end()));
    }).toList();
  }

  /**
   * Reciprocal rank fusion of the lists. A near-duplicate of a hit already taken (most of its
   * words the same) is left out: ten variants of one remark would crowd out everything else.
   * A summary comes after the parts of its span that were found too: the part says what was
   * asked, the summary only that it is there (a small model answers from the first item).
   */
  static List<Hit> fuse(List<List<Hit>> lists, int limit) {
    var scores = new LinkedHashMap<String, Double>();
    var byRef = new HashMap<String, Hit>();
    for (List<Hit> list : lists) {
      for (int rank = 0; rank < list.size(); rank++) {
        Hit h = list.get(rank);
        scores.merge(h.ref(), 1.0 / (RRF_K + rank + 1), Double::sum);
        byRef.putIfAbsent(h.ref(), h);
      }
    }
    List<Hit> ranked = specificFirst(scores.entrySet().stream()
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .map(e -> byRef.get(e.getKey()).withScore(e.getValue())).toList());
    var taken = new ArrayList<Set<String>>();
    var fused = new ArrayList<Hit>();
    for (Hit h : ranked) {
      Set<String> words = words(h.text());
      if (fused.size() < limit && taken.stream().noneMatch(t -> nearlySame(t, words))) {
        taken.add(words);
        fused.add(h);
      }
    }
    return fused;
  }

  /** Moves each summary to just after the last part of its span in the list. */
  static List<Hit> specificFirst(List<Hit> ranked) {
    var ordered = new ArrayList<>(ranked);
    for (Hit summary : ranked) {
      int last = -1;
      for (int i = 0; i < ordered.size(); i++) {
        if (summary.covers(ordered.get(i))) {
          last = i;
        }
      }
      int at = ordered.indexOf(summary);
      if (last > at) {
        ordered.remove(at);
        ordered.add(last, summary); // after the removal, "last" is the slot just after it
      }
    }
    return ordered;
  }

  /** Share of words in common (Jaccard) from which two texts say nearly the same. */
  private static final double NEARLY_SAME = 0.6;

  static boolean nearlySame(Set<String> a, Set<String> b) {
    return a.isEmpty() || b.isEmpty() ? a.equals(b) : overlap(a, b) >= NEARLY_SAME;
  }

  /** The share of words two texts have in common (Jaccard): 1 for the same words. */
  static double overlap(Set<String> a, Set<String> b) {
    long common = a.stream().filter(b::contains).count();
    return (double) common / (a.size() + b.size() - common);
  }

  /** The words of a text (its first 2,000 characters), lower case. */
  static Set<String> words(String text) {
    var words = new HashSet<String>();
    Matcher m = WORD_ANY.matcher(text.length() > 2000 ? text.substring(0, 2000) : text);
    while (m.find()) {
      words.add(m.group().toLowerCase());
    }
    return words;
  }
}
