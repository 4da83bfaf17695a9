package scrittabot.library;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Resources;
import scrittabot.llm.ChatMessage;
import scrittabot.llm.LlmClient;
import scrittabot.llm.LlmException;
import scrittabot.llm.LlmScheduler;
import scrittabot.memory.Database;
import scrittabot.memory.StoredText;

/**
 * Summarises a document's chunks in groups, then the summaries in groups, up to one summary
 * (depth 1, 2, ...), each with 1-9 keywords, offsets into the text and parent and next edges.
 * Every summary is stored as soon as the LLM wrote it, so a restart redoes none: the groups
 * follow from the number of chunks and the settings alone, and a stored summary of the same
 * depth and range is taken as it is. At most {@code callsPerDocument} calls per document: a
 * long document's first-level groups get wider, and the LLM sees evenly spaced chunks of each.
 */
public final class Summarizer {
  private static final Logger log = LoggerFactory.getLogger(Summarizer.class);
  private static final String INSTRUCTIONS = Resources.text(Summarizer.class, "summarise.md");
  private static final Pattern MARKER = Pattern.compile("(?i)<(/?)(document)");
  private static final Pattern LABEL = Pattern.compile("(?im)^\\W*(summary|keywords)\\W*:\\s*");
  private static final String DESCRIBE = Resources.text(Summarizer.class, "describe.md");
  private static final Pattern IMAGE_LABEL = Pattern.compile(
      "(?im)^\\W*(short|long|keywords)\\W*:\\s*");
  private static final int MAX_KEYWORDS = 9;
  private static final int MAX_KEYWORD_CHARS = 60;
  private static final int MAX_SUMMARY_CHARS = 2000;

  /**
   * {@code inputTokens}: the most of one call's document text; {@code replyTokens}: the most of
   * one summary; {@code chunkChars}: the size of a chunk, to plan the groups.
   */
  record Settings(int callsPerDocument, int inputTokens, int replyTokens, int chunkChars) {
    /** Settings that fit a model with {@code contextLlm} tokens of context. */
    static Settings forContext(int callsPerDocument, int contextLlm, int chunkChars) {
      int reply = 256;
      int input = Math.max(300, Math.min(3000, contextLlm - reply - 400));
      return new Settings(callsPerDocument, input, reply, chunkChars);
    }

    /** How many chunks one first-level summary reads, when the cap does not widen it. */
    int chunkFanIn() {
      return Math.max(2, (int) (inputTokens / (chunkChars * 0.35)));
    }

    /** How many summaries one summary above them reads. */
    int summaryFanIn() {
      return Math.max(2, inputTokens / replyTokens);
    }
  }

  /** A summary as the LLM wrote it. */
  record Summary(String text, List<String> keywords) {}

  /** What an image shows: in one line, in a few sentences, and its keywords. */
  record Description(String brief, String detail, List<String> keywords) {}

  /** A chunk or summary, as a child of the summary above it. */
  private record Node(long id, long start, long end) {}

  private final Database db;
  private final LlmClient llm;
  private final LlmScheduler scheduler;
  private final Settings settings;

  /**
   * Summaries by {@code llm} (a client of their own, which the scheduler may cancel) for a model
   * of {@code contextLlm} tokens, of chunks of up to {@code chunkChars} characters.
   */
  public Summarizer(Database db, LlmClient llm, LlmScheduler scheduler, int callsPerDocument,
      int contextLlm, int chunkChars) {
    this(db, llm, scheduler, Settings.forContext(callsPerDocument, contextLlm, chunkChars));
  }

  Summarizer(Database db, LlmClient llm, LlmScheduler scheduler, Settings settings) {
    this.db = db;
    this.llm = llm;
    this.scheduler = scheduler;
    this.settings = settings;
  }

  /**
   * Summarises one document, taking up what an earlier try stored; {@code progress} hears how
   * far it is. Returns the number of summaries. A call the agent interrupted is made again.
   */
  int summarise(long document, String name, Consumer<String> progress)
      throws SQLException, LlmException, InterruptedException {
    List<Node> children = depthZero(document);
    if (children.isEmpty()) {
      return 0;
    }
    List<Integer> levels = levels(children.size(), settings.chunkFanIn(),
        settings.summaryFanIn(), settings.callsPerDocument());
    int total = levels.stream().mapToInt(Integer::intValue).sum();
    Map<String, Long> stored = storedSummaries(document);
    Set<Long> used = new HashSet<>();
    int done = 0;
    for (int level = 0; level < levels.size(); level++) {
      int depth = level + 1;
      int groups = levels.get(level);
      var parents = new ArrayList<Node>();
      long previous = 0;
      for (int g = 0; g < groups; g++) {
        List<Node> group = children.subList(g * children.size() / groups,
            (g + 1) * children.size() / groups);
        long start = group.getFirst().start();
        long end = group.getLast().end();
        Long id = stored.get(depth + ":" + start + ":" + end);
        if (id == null) {
          String text = input(group, depth);
          Summary summary = call(name, depth, start, end, text, group.size());
          id = store(document, depth, start, end, summary, group, previous);
        }
        used.add(id);
        parents.add(new Node(id, start, end));
        previous = id;
        done++;
        progress.accept("summaries: " + done + " of " + total);
      }
      children = parents;
    }
    dropUnused(document, stored, used);
    return total;
  }

  /**
   * The number of summaries at each depth, from 1 up to the one at the top: as many
   * first-level summaries as fit {@code cap} calls in all.
   */
  static List<Integer> levels(int chunks, int chunkFanIn, int summaryFanIn, int cap) {
    if (chunks == 0 || cap < 1) {
      return List.of();
    }
    int first = ceilDiv(chunks, chunkFanIn);
    while (first > 1 && sum(above(first, summaryFanIn)) > cap) {
      first--;
    }
    return above(first, summaryFanIn);
  }

  private static List<Integer> above(int first, int fanIn) {
    var levels = new ArrayList<Integer>();
    levels.add(first);
    for (int n = first; n > 1; ) {
      n = ceilDiv(n, fanIn);
      levels.add(n);
    }
    return levels;
  }

  private static int sum(List<Integer> levels) {
    return levels.stream().mapToInt(Integer::intValue).sum();
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  /** The text the LLM reads for one group: whole children, evenly spaced when not all fit. */
  private String input(List<Node> group, int depth) throws SQLException {
    List<String> texts = texts(group);
    if (depth == 1) {
      texts = withoutOverlap(group, texts);
    }
    int budget = settings.inputTokens();
    int all = texts.stream().mapToInt(Summarizer::tokens).sum();
    int take = all <= budget ? texts.size()
        : Math.max(1, (int) ((long) texts.size() * budget / Math.max(1, all)));
    while (true) {
      var picked = new ArrayList<String>();
      for (int i = 0; i < take; i++) {
        picked.add(texts.get(i * texts.size() / take));
      }
      String joined = String.join(take < texts.size() ? "\n[...]\n" : "\n\n", picked);
      if (take == 1 || tokens(joined) <= budget) {
        return cut(joined, budget);
      }
      take--;
    }
  }

  /** Chunks overlap a little; the LLM reads each stretch of text once. */
  private static List<String> withoutOverlap(List<Node> group, List<String> texts) {
    var out = new ArrayList<String>(texts.size());
    for (int i = 0; i < texts.size(); i++) {
      String t = texts.get(i);
      long overlap = i == 0 ? 0 : group.get(i - 1).end() - group.get(i).start();
      boolean exact = t.length() == group.get(i).end() - group.get(i).start();
      out.add(overlap > 0 && exact && overlap < t.length() ? t.substring((int) overlap) : t);
    }
    return out;
  }

  /** A rough count of tokens that errs high: a CJK or other non-Latin letter can be one. */
  static int tokens(String text) {
    long hundredths = 0;
    for (int i = 0; i < text.length(); i++) {
      hundredths += text.charAt(i) < 0x80 ? 35 : 100;
    }
    return (int) ((hundredths + 99) / 100);
  }

  private static String cut(String text, int budget) {
    if (tokens(text) <= budget) {
      return text;
    }
    int end = 0;
    long hundredths = 0;
    while (end < text.length() && hundredths < budget * 100L) {
      hundredths += text.charAt(end) < 0x80 ? 35 : 100;
      end++;
    }
    if (end > 0 && Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end) + "\n[...]";
  }

  private Summary call(String name, int depth, long start, long end, String text, int parts)
      throws LlmException, InterruptedException {
    String what = depth == 1
        ? "Part of the document, characters " + start + " to " + end + ":"
        : "Summaries of " + parts + " consecutive parts, characters " + start + " to " + end
            + ":";
    var messages = List.of(ChatMessage.system(INSTRUCTIONS), ChatMessage.user("File: "
        + name + "\n" + what + "\n<document>\n" + neutralised(text) + "\n</document>"));
    while (true) {
      try {
        String reply = scheduler.background(llm, () -> llm.chat(messages,
            settings.replyTokens(), t -> { }).text());
        Summary summary = parse(reply, name);
        if (summary.text().isEmpty()) {
          log.warn("the summary of {} ({} to {}) came back empty; its start stands in", name,
              start, end);
          summary = new Summary(cut(text, 60), summary.keywords());
        }
        return summary;
      } catch (LlmScheduler.Yielded e) {
        log.debug("summarising {} waits: the agent needs the LLM", name);
      }
    }
  }

  /**
   * What an image shows, by the multimodal LLM. A model without vision refuses with an error
   * (llama.cpp without its projector: 500 or 400), which the caller tells from a server away.
   */
  Description describe(String name, ChatMessage.Image image)
      throws LlmException, InterruptedException {
    var messages = List.of(ChatMessage.system(DESCRIBE),
        new ChatMessage(ChatMessage.Role.USER, "File: " + name, List.of(image)));
    while (true) {
      try {
        return described(scheduler.background(llm, () -> llm.chat(messages,
            settings.replyTokens() * 2, t -> { }).text()), name);
      } catch (LlmScheduler.Yielded e) {
        log.debug("describing {} waits: the agent needs the LLM", name);
      }
    }
  }

  /** Reads "SHORT: ... LONG: ... KEYWORDS: ..."; what is missing is made from what is there. */
  static Description described(String reply, String name) {
    var parts = new LinkedHashMap<String, String>();
    var m = IMAGE_LABEL.matcher(reply);
    String label = null;
    int from = 0;
    while (m.find()) {
      if (label != null) {
        parts.putIfAbsent(label, reply.substring(from, m.start()).strip());
      }
      label = m.group(1).toLowerCase(Locale.ROOT);
      from = m.end();
    }
    parts.putIfAbsent(label == null ? "long" : label, reply.substring(from).strip());
    String detail = shortened(parts.getOrDefault("long", ""), MAX_SUMMARY_CHARS);
    String brief = parts.getOrDefault("short", "").lines().findFirst().orElse("");
    if (brief.isEmpty()) {
      brief = detail.replaceFirst("(?s)([.!?\u3002])\\s.*", "$1");
    }
    brief = shortened(brief, 200);
    if (detail.isEmpty()) {
      detail = brief;
    }
    return new Description(brief, detail, keywords(parts.getOrDefault("keywords", ""), name));
  }

  private static String shortened(String text, int max) {
    return text.length() <= max ? text : text.substring(0, max) + "...";
  }

  /** The document cannot end the data block early by writing its end marker. */
  static String neutralised(String text) {
    return MARKER.matcher(text).replaceAll("<$1\u200B$2");
  }

  /** Reads "SUMMARY: ... KEYWORDS: a, b"; a reply without labels is all summary. */
  static Summary parse(String reply, String name) {
    String summary = reply.strip();
    String keywords = "";
    var m = LABEL.matcher(reply);
    int summaryAt = -1;
    int keywordsAt = -1;
    int keywordsLabel = -1;
    while (m.find()) {
      if (m.group(1).equalsIgnoreCase("summary") && summaryAt < 0) {
        summaryAt = m.end();
      } else if (m.group(1).equalsIgnoreCase("keywords") && keywordsAt < 0) {
        keywordsAt = m.end();
        keywordsLabel = m.start();
      }
    }
    if (keywordsAt >= 0) {
      keywords = reply.substring(keywordsAt);
      summary = summaryAt >= 0 && summaryAt <= keywordsLabel
          ? reply.substring(summaryAt, keywordsLabel)
          : summaryAt > keywordsLabel ? reply.substring(summaryAt) : reply.substring(0,
              keywordsLabel);
    } else if (summaryAt >= 0) {
      summary = reply.substring(summaryAt);
    }
    summary = summary.strip();
    if (summary.length() > MAX_SUMMARY_CHARS) {
      summary = summary.substring(0, MAX_SUMMARY_CHARS) + "...";
    }
    return new Summary(summary, keywords(keywords, name));
  }

  /** 1-9 keywords from a comma list, one of each; the file's name when there are none. */
  static List<String> keywords(String list, String name) {
    var words = new LinkedHashMap<String, String>(); // one of each, as first written
    for (String k : list.split("[,;\u3001\u060C\\n]")) {
      String w = k.strip().replaceAll("^[-*#\\d.)\\s]+|[.\\s]+$", "");
      if (!w.isEmpty() && w.length() <= MAX_KEYWORD_CHARS && words.size() < MAX_KEYWORDS) {
        words.putIfAbsent(w.toLowerCase(Locale.ROOT), w);
      }
    }
    if (words.isEmpty()) { // at least one: the name of the file, without its type
      int dot = name.lastIndexOf('.');
      String stem = dot > 0 ? name.substring(0, dot) : name;
      words.put(stem, stem);
    }
    return List.copyOf(words.values());
  }

  private List<Node> depthZero(long document) throws SQLException {
    return db.transaction(c -> {
      var nodes = new ArrayList<Node>();
      try (var s = c.prepareStatement("SELECT id, start_offset, end_offset FROM chunks "
          + "WHERE document = ? AND depth = 0 ORDER BY id")) {
        s.setLong(1, document);
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            nodes.add(new Node(r.getLong(1), r.getLong(2), r.getLong(3)));
          }
        }
      }
      return nodes;
    });
  }

  private List<String> texts(List<Node> group) throws SQLException {
    return db.transaction(c -> {
      var byId = new HashMap<Long, String>();
      try (var s = c.prepareStatement("SELECT id, text FROM chunks WHERE id = ANY(?)")) {
        s.setArray(1, c.createArrayOf("bigint", group.stream().map(Node::id).toArray()));
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            byId.put(r.getLong(1), StoredText.decode(r.getString(2)));
          }
        }
      }
      return group.stream().map(n -> Objects.requireNonNullElse(byId.get(n.id()), "")).toList();
    });
  }

  /** Summaries an earlier try stored, by depth and range. */
  private Map<String, Long> storedSummaries(long document) throws SQLException {
    return db.transaction(c -> {
      var map = new HashMap<String, Long>();
      try (var s = c.prepareStatement("SELECT id, depth, start_offset, end_offset FROM chunks "
          + "WHERE document = ? AND depth > 0")) {
        s.setLong(1, document);
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            map.put(r.getInt(2) + ":" + r.getLong(3) + ":" + r.getLong(4), r.getLong(1));
          }
        }
      }
      return map;
    });
  }

  /** Stores a summary with its edges, all or nothing. */
  private long store(long document, int depth, long start, long end, Summary summary,
      List<Node> children, long previous) throws SQLException {
    return db.transaction(c -> {
      long id;
      try (var s = c.prepareStatement("INSERT INTO chunks (document, depth, start_offset, "
          + "end_offset, text, keywords) VALUES (?, ?, ?, ?, ?, ?) RETURNING id")) {
        s.setLong(1, document);
        s.setInt(2, depth);
        s.setLong(3, start);
        s.setLong(4, end);
        s.setString(5, StoredText.encode(summary.text()));
        s.setArray(6, c.createArrayOf("text",
            summary.keywords().stream().map(StoredText::encode).toArray()));
        try (ResultSet r = s.executeQuery()) {
          r.next();
          id = r.getLong(1);
        }
      }
      for (Node child : children) {
        edge(c, child.id(), id, "parent");
      }
      if (previous != 0) {
        edge(c, previous, id, "next");
      }
      return id;
    });
  }

  static void edge(Connection c, long from, long to, String kind) throws SQLException {
    try (var s = c.prepareStatement("INSERT INTO chunk_edges (from_chunk, to_chunk, kind) "
        + "VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
      s.setLong(1, from);
      s.setLong(2, to);
      s.setString(3, kind);
      s.executeUpdate();
    }
  }

  /** Summaries of an earlier plan (other settings) that this one did not take up. */
  private void dropUnused(long document, Map<String, Long> stored, Set<Long> used)
      throws SQLException {
    List<Long> unused = stored.values().stream().filter(id -> !used.contains(id)).toList();
    if (unused.isEmpty()) {
      return;
    }
    db.transaction(c -> {
      Object[] ids = unused.toArray();
      try (var s = c.prepareStatement("DELETE FROM chunk_edges WHERE from_chunk = ANY(?) "
          + "OR to_chunk = ANY(?)")) {
        s.setArray(1, c.createArrayOf("bigint", ids));
        s.setArray(2, c.createArrayOf("bigint", ids));
        s.executeUpdate();
      }
      try (var s = c.prepareStatement("DELETE FROM chunks WHERE id = ANY(?)")) {
        s.setArray(1, c.createArrayOf("bigint", ids));
        s.executeUpdate();
      }
      return null;
    });
    log.info("document {}: {} summaries of an earlier plan dropped", document, unused.size());
  }
}
