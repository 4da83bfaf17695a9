package scrittabot.library;

import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.kernel.Event;
import scrittabot.llm.ChatMessage;
import scrittabot.llm.LlmException;
import scrittabot.memory.Database;
import scrittabot.memory.StoredText;

/**
 * Makes memory of the library's documents in the background, one at a time: the text (of a PDF
 * or web page, extracted in a child process) split into chunks with their offsets and "next"
 * edges, which memory's backfill then embeds, so that recall and search find them; then, on a
 * thread of its own since it waits for the LLM, summaries of the chunks up to one (see
 * {@link Summarizer}), and images described by the multimodal LLM on that same thread. The
 * kernel never waits for either. A document whose chunking a stop cut short is chunked again at
 * the next start (that costs no LLM call); its summaries go on where they stopped. The agent
 * hears when indexing starts and ends, in notices that do not wake it.
 */
public final class Indexer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Indexer.class);
  private static final Duration EXTRACTION_TIME = Duration.ofMinutes(2);
  private static final Duration IDLE_CHECK = Duration.ofSeconds(30);
  private static final Duration MAX_LLM_PAUSE = Duration.ofMinutes(10);
  private static final int BATCH = 100;

  private final Library library;
  private final Database db;
  private final Chunker chunker;
  private final Summarizer summarizer;
  private final Consumer<Event> notices;
  private final Semaphore chunkWork = new Semaphore(0);
  private final Semaphore summaryWork = new Semaphore(0);
  private final List<Thread> threads = new ArrayList<>();
  private Duration llmPause = IDLE_CHECK;
  private boolean held; // the agent is paused: no new work starts
  /** Why images go by their names: the LLM refused to look at one; null until then. */
  private volatile String noVision;

  /** An indexer that chunks but does not summarise. */
  public Indexer(Library library, Database db, int chunkChars, Consumer<Event> notices) {
    this(library, db, chunkChars, null, notices);
  }

  /**
   * {@code chunkChars}: the most characters of one chunk, what the embedding model takes;
   * {@code summarizer}: null to leave documents at their chunks.
   */
  public Indexer(Library library, Database db, int chunkChars, Summarizer summarizer,
      Consumer<Event> notices) {
    this.library = library;
    this.db = db;
    this.chunker = new Chunker(chunkChars, chunkChars / 8);
    this.summarizer = summarizer;
    this.notices = notices;
    // images wait for the LLM with the summaries; without summaries they go by their names
    threads.add(Thread.ofPlatform().daemon().name("library-indexer").unstarted(() ->
        loop(chunkWork, summarizer == null ? List.of("new", "indexing", "summarising")
            : List.of("new", "indexing"), d -> summarizer == null || !isImage(d), this::index)));
    if (summarizer != null) {
      threads.add(Thread.ofPlatform().daemon().name("library-summaries").unstarted(() ->
          loop(summaryWork, List.of("summarising", "new"),
              d -> d.state().equals("summarising") || isImage(d),
              d -> {
                if (isImage(d)) {
                  describe(d);
                } else {
                  summarise(d);
                }
              })));
    }
    library.onStored(this::wake);
  }

  public void start() {
    threads.forEach(Thread::start);
  }

  /** Something new may be there to index. */
  public void wake() {
    chunkWork.release();
    summaryWork.release(); // images go to the summaries' thread at once
  }

  /** Holds the work (what is under way ends first) or lets it go on: the monitor's pause. */
  public synchronized void hold(boolean hold) {
    held = hold;
    notifyAll();
  }

  private synchronized void awaitLetGo() throws InterruptedException {
    while (held) {
      wait();
    }
  }

  @Override
  public void close() {
    threads.forEach(Thread::interrupt);
    for (Thread t : threads) {
      try {
        if (!t.join(Duration.ofSeconds(5))) {
          // work that does not check for interrupts (a large PDF's text) goes on; the document
          // is taken up again at the next start, from its saved state
          log.warn("stopping without waiting for {}: still busy after 5 s", t.getName());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private record Document(long id, String filename, String state, long size) {}

  /** What one loop does with a document. */
  private interface Work {
    void on(Document d) throws SQLException, InterruptedException;
  }

  private static boolean isImage(Document d) {
    return Kind.of(d.filename(), null) == Kind.IMAGE;
  }

  /** Takes the documents in one of {@code states} that it {@code takes}, oldest first. */
  private void loop(Semaphore work, List<String> states, Predicate<Document> takes,
      Work handler) {
    try {
      while (!Thread.currentThread().isInterrupted()) {
        awaitLetGo();
        Document next = null;
        try {
          next = next(states, takes);
        } catch (SQLException e) {
          if (!Database.isDown(e)) {
            log.error("cannot look for documents to index: {}", e.getMessage());
          }
        }
        if (next == null) {
          work.tryAcquire(IDLE_CHECK.toMillis(), TimeUnit.MILLISECONDS);
          work.drainPermits();
          continue;
        }
        try {
          handler.on(next);
        } catch (SQLException e) {
          log.warn("indexing {} stopped ({}); it is tried again later", next.filename(),
              e.getMessage());
          Thread.sleep(IDLE_CHECK.toMillis());
        } catch (RuntimeException e) {
          log.error("indexing {} failed", next.filename(), e);
          finish(next, "failed", "an error in the bot: " + e);
        }
      }
    } catch (InterruptedException e) {
      // closing
    }
  }

  /** The oldest document in one of the states that the loop takes. */
  private Document next(List<String> states, Predicate<Document> takes) throws SQLException {
    List<Document> waiting = db.transaction(c -> {
      var list = new ArrayList<Document>();
      try (var s = c.prepareStatement("SELECT id, filename, state, size FROM documents "
          + "WHERE state = ANY(?) ORDER BY id LIMIT 200")) {
        s.setArray(1, c.createArrayOf("text", states.toArray()));
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            list.add(new Document(r.getLong(1), r.getString(2), r.getString(3), r.getLong(4)));
          }
        }
      }
      return list;
    });
    return waiting.stream().filter(takes).findFirst().orElse(null);
  }

  private void index(Document d) throws SQLException, InterruptedException {
    if (d.state().equals("summarising")) { // summaries were switched off since
      finish(d, "indexed", chunkCount(d) + " chunks");
      return;
    }
    Path file = usableName(d);
    if (file == null) {
      finish(d, "failed", "the file is gone from the files folder");
      return;
    }
    if (isImage(d)) {
      byte[] data;
      try {
        data = Files.readAllBytes(file);
      } catch (java.io.IOException e) {
        data = null; // its size is not known; the name still says something
      }
      byName(d, data, "summaries are off (index_calls_per_document is 0)");
      return;
    }
    String name = d.filename();
    boolean resumed = d.state().equals("indexing");
    setState(d, "indexing", resumed ? "resumed" : "started");
    notices.accept(notice((resumed ? "Indexing resumed: " : "Indexing started: ") + name + " ("
        + Library.megabytes(d.size()) + ")."));
    log.info("indexing {} ({}){}", name, Library.megabytes(d.size()), resumed ? ", resumed" : "");
    long start = System.nanoTime();
    Path text;
    try {
      text = library.textOf(file, EXTRACTION_TIME);
    } catch (Library.Refused e) {
      finish(d, "failed", e.getMessage());
      notices.accept(notice(name + " cannot be indexed: " + e.getMessage() + "."));
      return;
    } catch (java.io.IOException e) {
      finish(d, "failed", "it cannot be read: " + e.getMessage());
      notices.accept(notice(name + " cannot be indexed: it cannot be read."));
      return;
    }
    int chunks;
    try {
      chunks = chunk(d, text);
    } catch (SQLException | InterruptedException e) {
      throw e;
    } catch (Exception e) {
      finish(d, "failed", "its text cannot be read: " + e.getMessage());
      notices.accept(notice(name + " cannot be indexed: its text cannot be read."));
      return;
    }
    log.info("indexed {}: {} chunks in {} ms", name, chunks,
        (System.nanoTime() - start) / 1_000_000);
    if (chunks == 0 || summarizer == null) {
      finish(d, "indexed", chunks + " chunks");
      notices.accept(notice(chunks == 0 ? name + " holds no text to index." : done(name, chunks,
          0)));
      return;
    }
    setState(d, "summarising", chunks + " chunks; summaries to follow");
    notices.accept(notice(name + " can be searched now (" + chunks + " parts); its summaries "
        + "follow in the background."));
    summaryWork.release();
  }

  /** Summarises a chunked document; an LLM that fails leaves it to be tried again later. */
  private void summarise(Document d) throws SQLException, InterruptedException {
    String name = d.filename();
    long start = System.nanoTime();
    int chunks = chunkCount(d);
    int summaries;
    try {
      summaries = summarizer.summarise(d.id(), name, progress -> {
        try {
          setState(d, "summarising", chunks + " chunks; " + progress);
        } catch (SQLException e) {
          log.debug("cannot record the progress of {}: {}", name, e.getMessage());
        }
      });
      llmPause = IDLE_CHECK;
    } catch (LlmException e) {
      if (e.status() / 100 == 4 && e.status() != 429) { // the server refuses: asking again won't do
        finish(d, "indexed", chunks + " chunks; no summaries: " + e.getMessage());
        notices.accept(notice(done(name, chunks, 0)));
        return;
      }
      waitForLlm("summarising " + name, e);
      return;
    }
    finish(d, "indexed", chunks + " chunks, " + summaries + " summaries");
    log.info("summarised {}: {} summaries in {} s", name, summaries,
        (System.nanoTime() - start) / 1_000_000_000);
    notices.accept(notice(done(name, chunks, summaries)));
  }

  /**
   * An image described by the multimodal LLM: its description becomes its text, its line its
   * summary. A model that cannot see images is found out once (its refusal), said once, and
   * later images are indexed by name without asking; a restart asks again (the model may have
   * changed). A server away is waited for, as for summaries.
   */
  private void describe(Document d) throws SQLException, InterruptedException {
    Path file = usableName(d);
    if (file == null) {
      finish(d, "failed", "the file is gone from the files folder");
      return;
    }
    byte[] data = null;
    ChatMessage.Image image = null;
    try {
      data = Files.readAllBytes(file);
      image = Images.forLlm(data);
    } catch (java.io.IOException e) {
      // not an image Java can read: said below
    }
    if (image == null) {
      finish(d, "failed", "it cannot be read as an image");
      notices.accept(notice(d.filename() + " cannot be indexed: it cannot be read as an "
          + "image."));
      return;
    }
    if (noVision != null) {
      byName(d, data, noVision);
      return;
    }
    Summarizer.Description description;
    try {
      description = summarizer.describe(d.filename(), image);
      llmPause = IDLE_CHECK;
    } catch (LlmException e) {
      int status = e.status();
      // llama.cpp without its vision projector: 500 "image input is not supported"
      boolean refused = status / 100 == 4 && status != 408 && status != 429
          || status >= 500 && String.valueOf(e.getMessage()).toLowerCase().contains("image");
      if (!refused) {
        waitForLlm("describing " + d.filename(), e);
        return;
      }
      noVision = "the LLM cannot see images (it answered: " + e.getMessage() + ")";
      log.warn("{}: images are indexed by their names until the next start", noVision);
      notices.accept(notice("The LLM cannot see images, so " + d.filename() + " and the "
          + "images after it are indexed by their names only."));
      byName(d, data, noVision);
      return;
    }
    storeDescription(d.id(), description);
    finish(d, "indexed", "described");
    log.info("described {}: {}", d.filename(), description.brief());
    notices.accept(notice("Indexing done: " + d.filename() + " (an image: "
        + description.brief() + ")."));
  }

  /** Waits before the LLM is asked again: 30 s, doubling up to 10 min while it keeps failing. */
  private void waitForLlm(String what, LlmException e) throws InterruptedException {
    log.warn("{} waits {} s: {}", what, llmPause.toSeconds(), e.getMessage());
    Thread.sleep(llmPause.toMillis());
    llmPause = llmPause.multipliedBy(2).compareTo(MAX_LLM_PAUSE) > 0 ? MAX_LLM_PAUSE
        : llmPause.multipliedBy(2);
  }

  /** An image indexed by its name and size alone, and why. */
  private void byName(Document d, byte[] data, String why) throws SQLException {
    int[] size = null;
    try {
      size = data == null ? null : Images.size(data);
    } catch (java.io.IOException e) {
      // its size is not known; the name still says something
    }
    storeName(d.id(), "An image: " + d.filename() + (size == null ? "" : " (" + size[0] + "x"
        + size[1] + " pixels)"), Summarizer.keywords("", d.filename()));
    finish(d, "indexed", "by its name only: " + why);
  }

  /** Stores an image's description as its text (depth 0) and its line as its summary. */
  private void storeDescription(long document, Summarizer.Description d) throws SQLException {
    db.transaction(c -> {
      deleteChunks(c, document);
      long text = insert(c, document, 0, d.detail(), d.keywords());
      long summary = insert(c, document, 1, d.brief(), d.keywords());
      Summarizer.edge(c, text, summary, "parent");
      return null;
    });
  }

  /** Stores what stands in for an image the LLM cannot see: a line with its name. */
  private void storeName(long document, String line, List<String> keywords) throws SQLException {
    db.transaction(c -> {
      deleteChunks(c, document);
      insert(c, document, 0, line, keywords);
      return null;
    });
  }

  private static void deleteChunks(Connection c, long document) throws SQLException {
    try (var s = c.prepareStatement("DELETE FROM chunk_edges WHERE from_chunk IN "
        + "(SELECT id FROM chunks WHERE document = ?) OR to_chunk IN "
        + "(SELECT id FROM chunks WHERE document = ?)")) {
      s.setLong(1, document);
      s.setLong(2, document);
      s.executeUpdate();
    }
    try (var s = c.prepareStatement("DELETE FROM chunks WHERE document = ?")) {
      s.setLong(1, document);
      s.executeUpdate();
    }
  }

  private static long insert(Connection c, long document, int depth, String text,
      List<String> keywords) throws SQLException {
    try (var s = c.prepareStatement("INSERT INTO chunks (document, depth, text, keywords) "
        + "VALUES (?, ?, ?, ?) RETURNING id")) {
      s.setLong(1, document);
      s.setInt(2, depth);
      s.setString(3, StoredText.encode(text));
      s.setArray(4, c.createArrayOf("text", keywords.stream().map(StoredText::encode).toArray()));
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    }
  }

  private static String done(String name, int chunks, int summaries) {
    return "Indexing done: " + name + " (" + chunks + " parts" + (summaries > 0 ? ", "
        + summaries + " summaries" : "") + "). What it says is recalled when it matters; "
        + "read_file(\"" + name + "\") reads it.";
  }

  private int chunkCount(Document d) throws SQLException {
    return db.transaction(c -> {
      try (var s = c.prepareStatement("SELECT count(*) FROM chunks WHERE document = ? "
          + "AND depth = 0")) {
        s.setLong(1, d.id());
        try (ResultSet r = s.executeQuery()) {
          r.next();
          return r.getInt(1);
        }
      }
    });
  }

  /** One of the names the document is stored under that still opens. */
  private Path usableName(Document d) throws SQLException {
    Set<String> names = db.transaction(c -> {
      var list = new LinkedHashSet<String>(); // the first name, then the others
      list.add(d.filename());
      try (var s = c.prepareStatement("SELECT filename FROM files WHERE document = ? "
          + "ORDER BY id")) {
        s.setLong(1, d.id());
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            list.add(r.getString(1));
          }
        }
      }
      return list;
    });
    for (String n : names) {
      Path p = library.resolve(n);
      if (p != null) {
        return p;
      }
    }
    return null;
  }

  /** The chunks of a document's text, written in batches; what an earlier try left goes. */
  private int chunk(Document d, Path text) throws Exception {
    db.transaction(c -> {
      deleteChunks(c, d.id());
      return null;
    });
    var batch = new ArrayList<Chunker.Chunk>();
    long[] previous = {0};
    int[] count = {0};
    var decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPLACE)
        .onUnmappableCharacter(CodingErrorAction.REPLACE);
    try (Reader in = new InputStreamReader(Files.newInputStream(text), decoder)) {
      chunker.split(in, chunk -> {
        if (Thread.currentThread().isInterrupted()) {
          throw new InterruptedException();
        }
        batch.add(chunk);
        if (batch.size() == BATCH) {
          previous[0] = write(d, batch, previous[0]);
          count[0] += batch.size();
          batch.clear();
          setState(d, "indexing", count[0] + " chunks so far");
        }
      });
    }
    if (!batch.isEmpty()) {
      write(d, batch, previous[0]);
      count[0] += batch.size();
    }
    return count[0];
  }

  /** Writes chunks and the "next" edges between them; returns the last chunk's id. */
  private long write(Document d, List<Chunker.Chunk> chunks, long previous) throws SQLException {
    return db.transaction(c -> {
      long last = previous;
      try (var s = c.prepareStatement("INSERT INTO chunks (document, depth, start_offset, "
          + "end_offset, text) VALUES (?, 0, ?, ?, ?) RETURNING id")) {
        for (Chunker.Chunk chunk : chunks) {
          s.setLong(1, d.id());
          s.setLong(2, chunk.start());
          s.setLong(3, chunk.end());
          s.setString(4, StoredText.encode(chunk.text()));
          long id;
          try (ResultSet r = s.executeQuery()) {
            r.next();
            id = r.getLong(1);
          }
          if (last != 0) {
            Summarizer.edge(c, last, id, "next");
          }
          last = id;
        }
      }
      return last;
    });
  }

  private void setState(Document d, String state, String progress) throws SQLException {
    db.transaction(c -> {
      try (var s = c.prepareStatement("UPDATE documents SET state = ?, progress = ? "
          + "WHERE id = ?")) {
        s.setString(1, state);
        s.setString(2, progress);
        s.setLong(3, d.id());
        s.executeUpdate();
      }
      return null;
    });
  }

  private void finish(Document d, String state, String progress) {
    try {
      setState(d, state, progress);
      if (state.equals("failed")) {
        log.warn("{} is not indexed: {}", d.filename(), progress);
      }
    } catch (SQLException e) {
      log.warn("cannot record that {} is {}: {}", d.filename(), state, e.getMessage());
    }
  }

  private static Event notice(String text) {
    return new Event.SystemNotice(Instant.now(), text, false);
  }
}
