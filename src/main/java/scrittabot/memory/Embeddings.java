package scrittabot.memory;

import com.pgvector.PGhalfvec;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Json;
import scrittabot.llm.LlmClient;
import scrittabot.llm.LlmException;

/**
 * Embeddings of everything worth recalling: asked of the embedding server with a short timeout,
 * so that recall never waits long, and filled in later by a background thread for whatever was
 * stored without one (the server was away, or the text came in while the step went on).
 *
 * <p>The vectors' dimension is taken from the first embedding the server returns and fixed in the
 * schema (halfvec(n) and HNSW indexes with cosine distance). A model with another dimension
 * later is refused with a line that names {@code --reembed}.
 */
public final class Embeddings implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Embeddings.class);
  /** The tables with an embedding column, and which of their rows are worth embedding. */
  static final Map<String, String> TABLES = Map.of(
      "dialogue", "kind IN ('message', 'file', 'reply') AND NOT repeats",
      "notes", "true",
      "chunks", "true");
  private static final int BATCH = 32;
  /** Characters kept of a text to embed, per token of context_embedding: a safe guess. */
  private static final int CHARS_PER_TOKEN = 3;
  private static final Duration FIRST_AWAY_PAUSE = Duration.ofSeconds(5);
  private static final Duration MAX_AWAY_PAUSE = Duration.ofSeconds(120);

  private final Database db;
  private final LlmClient client;
  private final String model;
  private final int maxChars;
  private volatile int dimensions;
  private volatile String refusal;
  private volatile long awayUntil;
  private volatile Duration awayPause = FIRST_AWAY_PAUSE;
  private final Set<String> unembeddable = new HashSet<>();
  private final Thread backfill;

  /** {@code client} should be a quick one (short timeout, one try); null: no embeddings. */
  public Embeddings(Database db, LlmClient client, String model, int contextTokens)
      throws SQLException {
    this.db = db;
    this.client = client;
    this.model = model;
    this.maxChars = contextTokens * CHARS_PER_TOKEN;
    this.dimensions = savedDimensions();
    this.backfill = Thread.ofPlatform().daemon().name("memory-embeddings").unstarted(this::fill);
  }

  /** Starts filling in missing embeddings in the background. */
  public void start() {
    backfill.start();
  }

  /**
   * The embeddings of these texts, in order; null when the server is away, slow or refuses
   * (logged): the caller goes on without them.
   */
  public List<float[]> embed(List<String> texts) {
    if (!available() || texts.isEmpty()) {
      return null;
    }
    try {
      return embedOrFail(texts);
    } catch (LlmException e) {
      return null;
    }
  }

  /** False while embeddings are off (none configured, another dimension) or the server is away. */
  boolean available() {
    return client != null && refusal == null && System.nanoTime() >= awayUntil;
  }

  /**
   * Embeds, or throws what the server said. A server that is away is not asked again for a
   * while; a text it refuses (4xx) is the caller's to handle.
   */
  private List<float[]> embedOrFail(List<String> texts) throws LlmException {
    try {
      List<float[]> vectors = client.embed(texts.stream().map(this::cut).toList());
      fitDimensions(vectors.getFirst().length);
      awayPause = FIRST_AWAY_PAUSE;
      return vectors;
    } catch (LlmException e) {
      if (!refusesInput(e)) {
        awayUntil = System.nanoTime() + awayPause.toNanos();
        log.warn("the embedding server failed ({}); recall uses full-text search alone for {} "
            + "s, and what is missing is embedded later", e.getMessage(), awayPause.toSeconds());
        awayPause = awayPause.multipliedBy(2).compareTo(MAX_AWAY_PAUSE) > 0 ? MAX_AWAY_PAUSE
            : awayPause.multipliedBy(2);
      }
      throw e;
    } catch (SQLException e) {
      throw new LlmException("cannot fix the embedding dimension in the database: "
          + e.getMessage(), 0, "", null, e);
    } catch (DimensionMismatch e) {
      throw new LlmException(e.getMessage(), 0, "", null, null);
    }
  }

  private static boolean refusesInput(LlmException e) {
    return e.status() >= 400 && e.status() < 500 && e.status() != 408 && e.status() != 429;
  }

  /** One text's embedding, or null. */
  public float[] embed(String text) {
    List<float[]> one = embed(List.of(text));
    return one == null ? null : one.getFirst();
  }

  /** The text as it is embedded: its start, within context_embedding. */
  String cut(String text) {
    return text.length() <= maxChars ? text : text.substring(0, maxChars);
  }

  static PGhalfvec vector(float[] v) {
    return new PGhalfvec(v);
  }

  /** The dimension fixed in the schema, or 0 before the first embedding. */
  int dimensions() {
    return dimensions;
  }

  private int savedDimensions() throws SQLException {
    return db.transaction(c -> {
      try (var s = c.prepareStatement("SELECT value FROM state WHERE key = 'embedding'");
          ResultSet r = s.executeQuery()) {
        try {
          return r.next() && Json.parseObject(r.getString(1)).get("dimensions")
              instanceof Number n ? n.intValue() : 0;
        } catch (IllegalArgumentException e) {
          throw new SQLException("the saved embedding dimension is unreadable: "
              + e.getMessage());
        }
      }
    });
  }

  /** A model whose vectors do not fit the schema: embeddings are off until --reembed. */
  private static final class DimensionMismatch extends Exception {
    DimensionMismatch(String message) {
      super(message, null, false, false);
    }
  }

  /** Fixes the dimension in the schema at the first embedding; refuses another one later. */
  private synchronized void fitDimensions(int n) throws SQLException, DimensionMismatch {
    if (dimensions == n) {
      return;
    }
    if (dimensions != 0) {
      refusal = "the embedding model " + model + " gives vectors of " + n + " dimensions, but "
          + "the memory holds vectors of " + dimensions + ": run 'java -jar scrittabot.jar "
          + "--reembed' to recompute every embedding with this model (nothing else is lost); "
          + "until then recall uses full-text search alone";
      log.error(refusal);
      throw new DimensionMismatch(refusal);
    }
    db.maintenance(c -> {
      setDimensions(c, n, model);
      return null;
    });
    dimensions = n;
    log.info("embeddings have {} dimensions ({}): fixed in the database", n, model);
  }

  /**
   * Types every embedding column as halfvec(n) with an HNSW index; they must hold no vector.
   * Run it as {@link Database#maintenance}: on a large table it takes minutes.
   */
  static void setDimensions(Connection c, int n, String model) throws SQLException {
    try (Statement s = c.createStatement()) {
      for (String table : TABLES.keySet()) {
        s.execute("DROP INDEX IF EXISTS " + table + "_embedding");
        s.execute("ALTER TABLE " + table + " ALTER COLUMN embedding TYPE halfvec(" + n + ")");
        s.execute("CREATE INDEX " + table + "_embedding ON " + table
            + " USING hnsw (embedding halfvec_cosine_ops)");
      }
    }
    try (var s = c.prepareStatement("INSERT INTO state (key, value) VALUES ('embedding', ?) "
        + "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated = now()")) {
      s.setString(1, Json.write(Map.of("dimensions", n, "model", model)));
      s.executeUpdate();
    }
  }

  /** The background loop: embeds what has no embedding yet, newest first, batch by batch. */
  private void fill() {
    try {
      while (true) {
        int done = 0;
        try {
          if (available()) {
            for (var table : TABLES.entrySet()) {
              done += fillBatch(table.getKey(), table.getValue());
            }
          }
        } catch (RuntimeException e) {
          log.error("filling in embeddings failed; trying again later", e);
          Thread.sleep(60_000);
        }
        if (done == 0) {
          Thread.sleep(2000);
        }
      }
    } catch (InterruptedException e) {
      // closing
    }
  }

  /**
   * Marks dialogue rows that repeat an earlier row's text ("ok", "thanks", the same reply):
   * they are not embedded, since a hundred identical vectors would fill every place the index
   * offers near them. The first of them is found by meaning, the rest by their words.
   */
  private void markRepeats(List<Long> ids) throws SQLException {
    db.transaction(c -> {
      try (var s = c.prepareStatement("UPDATE dialogue d SET repeats = true WHERE id = ANY(?) "
          + "AND EXISTS (SELECT 1 FROM dialogue e WHERE md5(e.text) = md5(d.text) "
          + "AND e.text = d.text AND e.id < d.id)")) {
        s.setArray(1, c.createArrayOf("bigint", ids.toArray()));
        s.executeUpdate();
      }
      return null;
    });
  }

  /** Embeds one batch of a table; returns how many rows got an embedding. */
  int fillBatch(String table, String worth) {
    try {
      if (table.equals("dialogue")) {
        markRepeats(db.transaction(c -> {
          var ids = new ArrayList<Long>();
          try (var s = c.prepareStatement("SELECT id FROM dialogue WHERE embedding IS NULL AND "
              + worth + " ORDER BY id DESC LIMIT " + BATCH * 4);
              ResultSet r = s.executeQuery()) {
            while (r.next()) {
              ids.add(r.getLong(1));
            }
          }
          return ids;
        }));
      }
      record Row(long id, String text) {}
      List<Row> rows = db.transaction(c -> {
        var list = new ArrayList<Row>();
        // keywords count for what a note or a summary is about
        try (var s = c.prepareStatement("SELECT id, " + switch (table) {
          case "notes" -> "summary || ' ' || array_to_string(keywords, ' ')";
          case "chunks" -> "rtrim(text || ' ' || array_to_string(keywords, ' '))";
          default -> "text";
        } + " FROM " + table
            + " WHERE embedding IS NULL AND " + worth + " ORDER BY id DESC LIMIT " + BATCH * 4);
            ResultSet r = s.executeQuery()) {
          while (r.next() && list.size() < BATCH) {
            if (!unembeddable.contains(table + r.getLong(1))) {
              list.add(new Row(r.getLong(1), StoredText.decode(r.getString(2))));
            }
          }
        }
        return list;
      });
      if (rows.isEmpty()) {
        return 0;
      }
      List<float[]> vectors;
      try {
        vectors = embedOrFail(rows.stream().map(row -> row.text().isBlank() ? "(empty)"
            : row.text()).toList());
      } catch (LlmException e) {
        if (refusesInput(e)) {
          if (rows.size() == 1) {
            log.warn("the embedding server refuses {} {} ({}); it stays without an embedding",
                table, rows.getFirst().id(), e.getMessage());
            unembeddable.add(table + rows.getFirst().id());
          } else {
            rows.forEach(row -> fillOne(table, row.id(), row.text()));
          }
        }
        return 0;
      }
      db.transaction(c -> {
        try (var s = c.prepareStatement("UPDATE " + table + " SET embedding = ? WHERE id = ?")) {
          for (int i = rows.size() - 1; i >= 0; i--) { // ascending ids, as the writer locks them
            s.setObject(1, vector(vectors.get(i)));
            s.setLong(2, rows.get(i).id());
            s.addBatch();
          }
          s.executeBatch();
        }
        return null;
      });
      return rows.size();
    } catch (SQLException e) {
      if (!Database.isDown(e)) {
        log.error("cannot fill in embeddings of {}: {}", table, e.getMessage());
      }
      return 0;
    }
  }

  /** One row alone, to find the one text in a batch that the server refuses. */
  private void fillOne(String table, long id, String text) {
    try {
      float[] v = embedOrFail(List.of(text.isBlank() ? "(empty)" : text)).getFirst();
      db.transaction(c -> {
        try (var s = c.prepareStatement("UPDATE " + table + " SET embedding = ? WHERE id = ?")) {
          s.setObject(1, vector(v));
          s.setLong(2, id);
          s.executeUpdate();
        }
        return null;
      });
    } catch (LlmException e) {
      if (refusesInput(e)) {
        log.warn("the embedding server refuses {} {} ({}); it stays without an embedding",
            table, id, e.getMessage());
        unembeddable.add(table + id);
      }
    } catch (SQLException e) {
      log.warn("cannot store the embedding of {} {}: {}", table, id, e.getMessage());
    }
  }

  @Override
  public void close() {
    backfill.interrupt();
    if (client != null) {
      client.close();
    }
  }
}
