package scrittabot.library;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scrittabot.kernel.Event;
import scrittabot.memory.Database;
import scrittabot.memory.TestDatabase;

/** Indexing against a real PostgreSQL: chunks, offsets, edges, states, notices, resuming. */
class IndexerIT {
  @TempDir
  Path dir;
  private Database db;
  private Library library;
  private final List<Event> notices = new CopyOnWriteArrayList<>();
  private final List<Indexer> indexers = new ArrayList<>();

  @BeforeEach
  void open() throws Exception {
    db = TestDatabase.open("indexer");
    library = new Library(dir, 1 << 24, 1 << 26, db);
    library.start();
  }

  @AfterEach
  void close() {
    indexers.forEach(Indexer::close);
    db.close();
  }

  private void startIndexer() {
    var indexer = new Indexer(library, db, 300, notices::add);
    indexers.add(indexer);
    indexer.start();
  }

  @Test
  void aMarkdownFileBecomesChunksThatPointIntoIt() throws Exception {
    var text = new StringBuilder("# Guide\n\n");
    for (int s = 1; s <= 4; s++) {
      text.append("## Section ").append(s).append("\n\n");
      for (int p = 0; p < 3; p++) {
        text.append("Section ").append(s).append(" paragraph ").append(p)
            .append(" says something useful. It says a second thing too.\n\n");
      }
    }
    text.append("Viimeinen kappale: hyvää yötä. 日本語の文。\n");
    startIndexer();
    var stored = library.receive("guide.md", text.toString().getBytes(StandardCharsets.UTF_8),
        null, "@a:test", "lobby");
    assertEquals("indexed", awaitState(stored.sha256()));
    List<long[]> offsets = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    rows("SELECT start_offset, end_offset, text FROM chunks ORDER BY id", r -> {
      offsets.add(new long[] {r.getLong(1), r.getLong(2)});
      texts.add(r.getString(3));
    });
    assertTrue(texts.size() >= 4, texts.toString());
    String original = text.toString();
    for (int i = 0; i < texts.size(); i++) {
      String part = original.substring((int) offsets.get(i)[0], (int) offsets.get(i)[1]);
      assertEquals(part.replaceAll("\\s+", " ").strip(), texts.get(i).replaceAll("\\s+", " "));
    }
    assertTrue(texts.stream().anyMatch(t -> t.startsWith("## Section 3")), texts.toString());
    assertTrue(texts.getLast().endsWith("日本語の文。"), texts.getLast());
    assertEquals(texts.size() - 1, count("SELECT count(*) FROM chunk_edges WHERE kind = 'next'"));
    assertEquals(List.of("Indexing started: guide.md (" + original.getBytes(
        StandardCharsets.UTF_8).length + " bytes).", "Indexing done: guide.md ("
        + texts.size() + " parts). What it says is recalled when it matters; "
        + "read_file(\"guide.md\") reads it."), noticeTexts());
    assertFalse(notices.getFirst().wakes(), "indexing news does not wake the agent");
  }

  @Test
  void aPdfIsIndexedFromItsText() throws Exception {
    startIndexer();
    Path pdf = dir.resolve("in.pdf");
    try (var doc = new PDDocument()) {
      for (String line : List.of("The first page talks about herons.",
          "The second page talks about cranes.")) {
        var page = new PDPage();
        doc.addPage(page);
        try (var content = new PDPageContentStream(doc, page)) {
          content.beginText();
          content.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 12);
          content.newLineAtOffset(72, 700);
          content.showText(line);
          content.endText();
        }
      }
      doc.save(pdf.toFile());
    }
    var stored = library.receive("birds.pdf", Files.readAllBytes(pdf), "application/pdf",
        "@a:test", "lobby");
    assertEquals("indexed", awaitState(stored.sha256()));
    var all = new StringBuilder();
    rows("SELECT text FROM chunks ORDER BY id", r -> all.append(r.getString(1)).append('\n'));
    assertTrue(all.toString().contains("herons") && all.toString().contains("cranes"),
        all.toString());
  }

  @Test
  void whatCannotBeReadFailsWithAReasonAndTheRestGoesOn() throws Exception {
    startIndexer();
    var fake = library.receive("report.pdf", "no PDF".getBytes(StandardCharsets.UTF_8), null,
        "@a:test", "lobby");
    var binary = library.receive("notes.txt", new byte[] {1, 0, 2, 0}, null, "@a:test",
        "lobby");
    var zip = library.receive("archive.docx", new byte[] {'P', 'K', 3, 4}, null, "@a:test",
        "lobby");
    var fine = library.receive("fine.txt", "Fine text.".getBytes(StandardCharsets.UTF_8), null,
        "@a:test", "lobby");
    assertEquals("failed", awaitState(fake.sha256()));
    assertEquals("failed", awaitState(binary.sha256()));
    assertEquals("indexed", awaitState(fine.sha256()));
    assertEquals("not indexed", state(zip.sha256()));
    assertTrue(progress(fake.sha256()).startsWith("it cannot be read as PDF"),
        progress(fake.sha256()));
    assertEquals("it holds binary data, not text, whatever its name says",
        progress(binary.sha256()));
    assertTrue(noticeTexts().contains("notes.txt cannot be indexed: it holds binary data, not "
        + "text, whatever its name says."), noticeTexts().toString());
  }

  @Test
  void indexingCutShortIsDoneAgainWithoutDuplicates() throws Exception {
    var stored = library.receive("story.txt", "One. Two. Three.\n\nFour five six.\n"
        .getBytes(StandardCharsets.UTF_8), null, "@a:test", "lobby");
    db.transaction(c -> {
      try (var s = c.createStatement()) {
        s.execute("UPDATE documents SET state = 'indexing'");
        s.execute("INSERT INTO chunks (document, depth, text) SELECT id, 0, 'half of it' "
            + "FROM documents");
      }
      return null;
    });
    startIndexer();
    assertEquals("indexed", awaitState(stored.sha256()));
    assertEquals(1, count("SELECT count(*) FROM chunks"));
    assertEquals(0, count("SELECT count(*) FROM chunks WHERE text = 'half of it'"));
    assertTrue(noticeTexts().getFirst().startsWith("Indexing resumed: story.txt"));
  }

  private List<String> noticeTexts() {
    return notices.stream().map(e -> ((Event.SystemNotice) e).text()).toList();
  }

  private String awaitState(String sha) throws Exception {
    long deadline = System.nanoTime() + 60_000_000_000L;
    String state = state(sha);
    while ((state.equals("new") || state.equals("indexing")) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      state = state(sha);
    }
    return state;
  }

  private String state(String sha) throws Exception {
    return text("SELECT state FROM documents WHERE sha256 = '" + sha + "'");
  }

  private String progress(String sha) throws Exception {
    return text("SELECT progress FROM documents WHERE sha256 = '" + sha + "'");
  }

  private String text(String sql) throws Exception {
    var out = new StringBuilder();
    rows(sql, r -> out.append(r.getString(1)));
    return out.toString();
  }

  private long count(String sql) throws Exception {
    return Long.parseLong(text(sql));
  }

  private interface Row {
    void read(ResultSet r) throws Exception;
  }

  private void rows(String sql, Row row) throws Exception {
    db.transaction(c -> {
      try (var s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
        while (r.next()) {
          try {
            row.read(r);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }
      }
      return null;
    });
  }
}
