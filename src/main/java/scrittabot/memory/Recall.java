package scrittabot.memory;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Json;
import scrittabot.kernel.Event;
import scrittabot.kernel.Recaller;
import scrittabot.llm.LlmClient;
import scrittabot.llm.LlmException;

/**
 * Recall by itself, at every step: the new events are embedded (one call), notes, documents and
 * the dialogue that has left the prompt are searched (hybrid, fused by rank), the reranker
 * reorders the best when there is one, and what fits the budget goes into the state block.
 * A slow or absent embedding or rerank server costs no step: full-text search goes on alone.
 */
final class Recall implements Recaller {
  private static final Logger log = LoggerFactory.getLogger(Recall.class);
  private static final int CANDIDATES = 40;
  private static final int MAX_QUERY_CHARS = 2000;
  private static final int MAX_ITEM_CHARS = 400;
  private static final Duration RERANK_AWAY = Duration.ofMinutes(10);

  private final Search search;
  private final Embeddings embeddings;
  private final LlmClient reranker;
  private final Writer writer;
  private volatile long rerankAwayUntil;

  /** {@code reranker} is null when there is none. */
  Recall(Search search, Embeddings embeddings, LlmClient reranker, Writer writer) {
    this.search = search;
    this.embeddings = embeddings;
    this.reranker = reranker;
    this.writer = writer;
  }

  @Override
  public Recalled recall(List<Event> events, long windowStart, int maxChars) {
    String query = query(events);
    if (query.isBlank() || writer.databaseAway()) {
      return Recalled.NOTHING;
    }
    long start = System.nanoTime();
    try {
      float[] vector = embeddings.embed(query);
      List<Search.Hit> hits = search.run(new Search.Query(query, vector,
          EnumSet.allOf(Search.Source.class), windowStart, false, null, null, null, null,
          CANDIDATES));
      hits = rerank(query, hits);
      var shown = new ArrayList<Search.Hit>();
      var text = new StringBuilder();
      for (Search.Hit hit : hits) {
        String line = line(hit);
        if (text.length() + line.length() > maxChars - HEADER.length()) {
          break;
        }
        text.append(line);
        shown.add(hit);
      }
      log.debug("recall: {} of {} hits shown, {} ms ({})", shown.size(), hits.size(),
          (System.nanoTime() - start) / 1_000_000, vector == null ? "full text alone" : "hybrid");
      if (shown.isEmpty()) {
        return Recalled.NOTHING;
      }
      noteRecalled(shown);
      return new Recalled(HEADER + text, info(shown, vector != null));
    } catch (SQLException | RuntimeException e) {
      log.warn("recall failed; the step goes on without it: {}", e.toString());
      return Recalled.NOTHING;
    }
  }

  static final String HEADER = "\nFrom your memory (recalled by itself; it may or may not "
      + "matter now):\n";

  /** What the events say: people's words, files' names, code output. */
  private static String query(List<Event> events) {
    String q = events.stream().filter(e -> e instanceof Event.Incoming
            || e instanceof Event.CodeOutput)
        .map(EventCodec::text).collect(Collectors.joining("\n"));
    return q.length() > MAX_QUERY_CHARS ? q.substring(q.length() - MAX_QUERY_CHARS) : q;
  }

  /** Whether a reranker is there to ask (none configured, or away for a while after failing). */
  boolean reranks() {
    return reranker != null && System.nanoTime() >= rerankAwayUntil;
  }

  List<Search.Hit> rerank(String query, List<Search.Hit> hits) {
    if (reranker == null || hits.size() < 2 || System.nanoTime() < rerankAwayUntil) {
      return hits;
    }
    try {
      var ranked = reranker.rerank(query, hits.stream().map(h -> embeddings.cut(h.text()))
          .toList());
      var ordered = new ArrayList<Search.Hit>();
      for (LlmClient.Ranked r : ranked) {
        Search.Hit h = hits.get(r.index());
        ordered.add(h.withScore(r.score()));
      }
      return ordered;
    } catch (LlmException e) {
      rerankAwayUntil = System.nanoTime() + RERANK_AWAY.toNanos();
      log.warn("the reranker failed ({}); recall goes on without it for {} min", e.getMessage(),
          RERANK_AWAY.toMinutes());
      return hits;
    }
  }

  /** One recalled item: its kind, reference and date, then its text (cut), escaped. */
  static String line(Search.Hit hit) {
    String text = hit.text().strip().replaceAll("\\s+", " ");
    if (text.length() > MAX_ITEM_CHARS) {
      text = text.substring(0, MAX_ITEM_CHARS) + "...";
    }
    var where = new StringBuilder(hit.kind()).append(' ').append(hit.ref());
    if (hit.time() != null) {
      where.append(", ").append(Event.TIME.format(hit.time()));
    }
    if (hit.who() != null) {
      where.append(", ").append(hit.who());
    }
    if (hit.room() != null) {
      where.append(" in ").append(hit.room());
    }
    return "- [" + Event.escape(where.toString()) + "] " + Event.escape(text) + "\n";
  }

  private void noteRecalled(List<Search.Hit> shown) {
    List<Long> ids = shown.stream().filter(h -> h.kind().equals("note"))
        .map(h -> Long.parseLong(h.ref().substring(1))).toList();
    if (!ids.isEmpty()) {
      writer.submit("recall counts of notes " + ids, c -> {
        try (var s = c.prepareStatement("UPDATE notes SET last_recalled = now(), "
            + "recall_count = recall_count + 1 WHERE id = ANY(?)")) {
          s.setArray(1, c.createArrayOf("bigint", ids.toArray()));
          s.executeUpdate();
        }
        return null;
      });
    }
  }

  private static String info(List<Search.Hit> shown, boolean hybrid) {
    var items = new ArrayList<Map<String, Object>>();
    for (Search.Hit h : shown) {
      var item = new LinkedHashMap<String, Object>();
      item.put("ref", h.ref());
      item.put("kind", h.kind());
      item.put("score", Math.round(h.score() * 10000) / 10000.0);
      items.add(item);
    }
    return Json.write(Map.of("recall", items, "hybrid", hybrid));
  }
}
