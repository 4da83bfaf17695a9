package scrittabot.memory;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Config;
import scrittabot.context.Step;
import scrittabot.kernel.Event;
import scrittabot.kernel.Journal;
import scrittabot.kernel.Queued;
import scrittabot.kernel.Recaller;
import scrittabot.llm.LlmClient;

/**
 * The bot's memory in PostgreSQL: the whole dialogue log (every event the moment it arrives,
 * every step and reply, never deleted) and the agent's state. Writes go through the ordered
 * {@link Writer}, so the agent goes on while the database is away; reads are for start-up and
 * tools, and fail with a readable error while it is away.
 */
public final class Memory implements Journal, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Memory.class);
  private static final int RECENT_CHANNEL_IDS = 5000;
  /** Embedding and rerank calls are quick or not at all: recall must not hold up a step. */
  private static final Duration MODEL_TIMEOUT = Duration.ofSeconds(5);

  private final Database db;
  private final Writer writer;
  /** Ids are handed out here, not by the database: an event has one before it is written. */
  private final AtomicLong nextId;
  private final Set<String> recentChannelIds = Collections.newSetFromMap(Collections
      .synchronizedMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > RECENT_CHANNEL_IDS;
        }
      }));
  private final long lastStep;
  private final Embeddings embeddings;
  private final Search search;
  private final Notes notes;
  private final Recall recall;
  private volatile Runnable onLockLost = () -> { };

  /** The memory in {@code db} without embeddings or reranker: full-text search alone. */
  public Memory(Database db) throws SQLException {
    this(db, null);
  }

  /**
   * Opens the memory in {@code db}, already migrated and locked, with the embedding and rerank
   * servers of {@code config}; starts filling in missing embeddings.
   */
  public Memory(Database db, Config config) throws SQLException {
    this.db = db;
    this.writer = new Writer(db, () -> onLockLost.run());
    LlmClient quick = config == null ? null : LlmClient.quick(config, MODEL_TIMEOUT);
    this.embeddings = new Embeddings(db, quick, config == null ? null : config.modelEmbedding(),
        config == null ? Config.DEFAULT_CONTEXT_EMBEDDING : config.contextEmbedding());
    this.search = new Search(db);
    this.notes = new Notes(db, embeddings, search);
    this.recall = new Recall(search, embeddings,
        config == null || config.modelRerank() == null ? null : quick, writer);
    this.nextId = new AtomicLong(queryLong("SELECT coalesce(max(id), 0) FROM dialogue") + 1);
    this.lastStep = queryLong("SELECT coalesce(max(step), 0) FROM steps");
    db.transaction(c -> {
      try (var s = c.prepareStatement("SELECT channel_id FROM dialogue WHERE channel_id IS NOT "
          + "NULL ORDER BY id DESC LIMIT " + RECENT_CHANNEL_IDS);
          ResultSet r = s.executeQuery()) {
        var ids = new ArrayList<String>();
        while (r.next()) {
          ids.add(r.getString(1));
        }
        Collections.reverse(ids);
        recentChannelIds.addAll(ids);
      }
      return null;
    });
    if (config != null) {
      embeddings.start();
    }
  }

  public Database database() {
    return db;
  }

  /** What the kernel asks at each step: what the new events bring to mind. */
  public Recaller recaller() {
    return recall;
  }

  public Notes notes() {
    return notes;
  }

  public Search search() {
    return search;
  }

  public Embeddings embeddings() {
    return embeddings;
  }

  /**
   * A search for the agent's tools: hybrid, then reordered by the reranker when there is one
   * (from four times as many candidates, so that it has something to choose from).
   */
  public List<Search.Hit> searchRanked(String text, Set<Search.Source> sources, String kind,
      Long document, int limit) throws SQLException {
    int candidates = recall.reranks() ? Math.max(limit * 4, 20) : limit;
    List<Search.Hit> hits = search.run(new Search.Query(text, embeddings.embed(text), sources,
        Long.MAX_VALUE, true, null, null, null, kind, document, candidates));
    hits = recall.rerank(text, hits);
    return hits.size() > limit ? hits.subList(0, limit) : hits;
  }

  /** Fails at once, readably, while the database is away (tools say so to the agent). */
  public void checkReachable() {
    if (writer.databaseAway()) {
      throw new IllegalStateException("the memory database is not reachable right now (what "
          + "happens meanwhile is kept and written when it is back); try again later");
    }
  }

  /** Who hears when, after the database was away, another bot took it: this one must stop. */
  public void onLockLost(Runnable action) {
    onLockLost = action;
  }

  @Override
  public long arrived(Event event) {
    String channelId = event instanceof Event.Incoming in ? in.refs().id() : null;
    if (channelId != null && !recentChannelIds.add(channelId)) {
      return 0;
    }
    long id = nextId.getAndIncrement();
    String room = event instanceof Event.Incoming in ? in.room() : null;
    String sender = event instanceof Event.Incoming in ? in.user() : null;
    String kind = EventCodec.kind(event);
    writer.submit(kind + " event " + id, c -> {
      try (var s = c.prepareStatement("INSERT INTO dialogue (id, time, kind, room, sender, "
          + "channel_id, text, event) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
        s.setLong(1, id);
        s.setTimestamp(2, Timestamp.from(event.time()));
        s.setString(3, kind);
        s.setString(4, StoredText.encode(room));
        s.setString(5, StoredText.encode(sender));
        s.setString(6, StoredText.encode(channelId));
        s.setString(7, StoredText.encode(EventCodec.text(event)));
        s.setString(8, EventCodec.write(event));
        s.executeUpdate();
      }
      return null;
    });
    return id;
  }

  @Override
  public boolean knows(String channelId) {
    return recentChannelIds.contains(channelId);
  }

  @Override
  public void dropped(List<Long> ids) {
    mark("dropped", ids);
  }

  @Override
  public void answered(List<Long> ids) {
    mark("answered", ids);
  }

  /** Sets a flag of these dialogue rows: dropped or answered. */
  private void mark(String flag, List<Long> ids) {
    writer.submit(flag + " events " + ids, c -> {
      try (var s = c.prepareStatement("UPDATE dialogue SET " + flag
          + " = true WHERE id = ANY(?)")) {
        s.setArray(1, longs(c, ids));
        s.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public void stepped(StepRecord record) {
    Step step = record.step();
    // The agent's side of the conversation, for recall and search, is what it said, not its
    // code: recalled as code, old replies filled the prompt with examples a small model copied.
    var sentIds = new ArrayList<Long>();
    record.sent().forEach(s -> sentIds.add(nextId.getAndIncrement()));
    writer.submit("step " + step.number(), c -> {
      try (var s = c.prepareStatement("INSERT INTO steps (step, started, ended, shown, reply, "
          + "prompt_tokens, cached_tokens, completion_tokens, llm_ms, info) "
          + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (step) DO NOTHING")) {
        s.setLong(1, step.number());
        s.setTimestamp(2, Timestamp.from(record.started()));
        s.setTimestamp(3, Timestamp.from(record.ended()));
        s.setString(4, StoredText.encode(step.shown()));
        s.setString(5, StoredText.encode(step.reply()));
        var usage = record.usage();
        setInt(s, 6, usage == null ? null : usage.promptTokens());
        setInt(s, 7, usage == null || usage.cachedTokens() < 0 ? null : usage.cachedTokens());
        setInt(s, 8, usage == null ? null : usage.completionTokens());
        s.setInt(9, (int) Math.min(Integer.MAX_VALUE, record.llmMillis()));
        s.setString(10, StoredText.encode(record.info()));
        s.executeUpdate();
      }
      try (var s = c.prepareStatement("INSERT INTO dialogue (id, time, kind, room, text, step) "
          + "VALUES (?, ?, 'reply', ?, ?, ?)")) {
        for (int i = 0; i < sentIds.size(); i++) {
          s.setLong(1, sentIds.get(i));
          s.setTimestamp(2, Timestamp.from(record.ended()));
          s.setString(3, record.sent().get(i).room());
          s.setString(4, StoredText.encode(record.sent().get(i).text()));
          s.setLong(5, step.number());
          s.addBatch();
        }
        s.executeBatch();
      }
      try (var s = c.prepareStatement("UPDATE dialogue SET step = ? WHERE id = ANY(?)")) {
        s.setLong(1, step.number());
        s.setArray(2, longs(c, record.eventIds()));
        s.executeUpdate();
      }
      upsertState(c, "prompt", record.promptState());
      return null;
    });
  }

  @Override
  public List<Queued> waiting() {
    try {
      return db.transaction(c -> {
        var queued = new ArrayList<Queued>();
        try (var s = c.prepareStatement("SELECT id, event FROM dialogue WHERE step IS NULL AND "
            + "NOT dropped AND NOT answered AND event IS NOT NULL ORDER BY id");
            ResultSet r = s.executeQuery()) {
          while (r.next()) {
            try {
              queued.add(new Queued(r.getLong(1), EventCodec.read(r.getString(2))));
            } catch (IllegalArgumentException e) {
              log.error("event {} in the dialogue log cannot be read, and is skipped: {}",
                  r.getLong(1), e.getMessage());
            }
          }
        }
        return queued;
      });
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the events that waited: " + e.getMessage(), e);
    }
  }

  @Override
  public List<Step> steps(long first) {
    try {
      return db.transaction(c -> {
        var steps = new ArrayList<Step>();
        // A reply left out keeps its events in the dialogue; a step 'retried' (as the kernel
        // did before December 2026) showed its events again in the next step, so it has none.
        try (var s = c.prepareStatement("SELECT step, shown, CASE WHEN info::jsonb -> "
            + "'reply_left_out' IS NOT NULL THEN '' ELSE reply END FROM steps "
            + "WHERE step >= ? AND NOT coalesce((info::jsonb ->> 'retried')::boolean, false) "
            + "ORDER BY step")) {
          s.setLong(1, first);
          try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
              steps.add(new Step(r.getLong(1), StoredText.decode(r.getString(2)),
                  StoredText.decode(r.getString(3))));
            }
          }
        }
        return steps;
      });
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the dialogue: " + e.getMessage(), e);
    }
  }

  @Override
  public long lastStep() {
    return lastStep;
  }

  @Override
  public String load(String key) {
    try {
      return db.transaction(c -> {
        try (var s = c.prepareStatement("SELECT value FROM state WHERE key = ?")) {
          s.setString(1, key);
          try (ResultSet r = s.executeQuery()) {
            return r.next() ? StoredText.decode(r.getString(1)) : null;
          }
        }
      });
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the saved " + key + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void save(String key, String json) {
    writer.submit("state " + key, c -> {
      upsertState(c, key, json);
      return null;
    });
  }

  /** True while the database is away and writes wait in memory. */
  public boolean databaseAway() {
    return writer.databaseAway();
  }

  @Override
  public void awaitWritten(Duration timeout) {
    if (!writer.databaseAway()) {
      try {
        writer.flush(timeout);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Waits until every write so far is in; false when the time ran out (tests, shutdown). */
  public boolean flush(Duration timeout) throws InterruptedException {
    return writer.flush(timeout);
  }

  @Override
  public void close() {
    embeddings.close();
    writer.close();
    db.close();
  }

  private static void upsertState(Connection c, String key, String json) throws SQLException {
    try (var s = c.prepareStatement("INSERT INTO state (key, value, updated) VALUES (?, ?, now()) "
        + "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated = now()")) {
      s.setString(1, key);
      s.setString(2, StoredText.encode(json));
      s.executeUpdate();
    }
  }

  private long queryLong(String sql) throws SQLException {
    return db.transaction(c -> {
      try (var s = c.prepareStatement(sql); ResultSet r = s.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    });
  }

  private static Array longs(Connection c, List<Long> ids) throws SQLException {
    return c.createArrayOf("bigint", ids.toArray());
  }

  private static void setInt(PreparedStatement s, int index, Integer value) throws SQLException {
    if (value == null) {
      s.setNull(index, Types.INTEGER);
    } else {
      s.setInt(index, value);
    }
  }
}
