package scrittabot.library;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.ResultSet;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scrittabot.memory.Database;
import scrittabot.memory.TestDatabase;

/** The library against a real PostgreSQL: files on disk, their metadata, quotas, duplicates. */
class LibraryIT {
  private static final long MB = 1 << 20;

  @TempDir
  Path dir;
  private Database db;

  @BeforeEach
  void open() throws Exception {
    db = TestDatabase.open("library");
  }

  @AfterEach
  void close() {
    db.close();
  }

  private Library library(long maxFileSize, long quota) throws Exception {
    var library = new Library(dir, maxFileSize, quota, db);
    library.start();
    return library;
  }

  @Test
  void aReceivedFileIsStoredWithWhatIsKnownOfIt() throws Exception {
    var library = library(MB, 10 * MB);
    var stored = library.receive("Käyttöohje 2.md", bytes("# Otsikko\n\nTekstiä."), null,
        "@anna:test", "lobby");
    assertEquals("Kayttoohje_2.md", stored.filename());
    assertEquals("text/markdown", stored.mimeType());
    assertFalse(stored.sameAsBefore());
    assertEquals("# Otsikko\n\nTekstiä.", Files.readString(dir.resolve(stored.filename())));
    List<Library.Info> files = library.list(null);
    assertEquals(1, files.size());
    Library.Info info = files.getFirst();
    assertEquals("Käyttöohje 2.md", info.originalName());
    assertEquals("@anna:test", info.sender());
    assertEquals(stored.size(), info.size());
    assertEquals("new", info.state());
    assertEquals(List.of(), Files.list(dir.resolve(Library.INCOMING)).toList());
  }

  @Test
  void theSameBytesUnderAnotherNameAreStoredOnceAndOpenUnderBoth() throws Exception {
    byte[] data = bytes("the same report");
    var library = library(MB, data.length + 5); // room for one copy only
    var first = library.receive("report.txt", data, "text/plain", "@a:test", "lobby");
    var second = library.receive("copy of report.txt", data, "text/plain", "@b:test", "lobby");
    assertEquals("copy_of_report.txt", second.filename());
    assertTrue(second.sameAsBefore());
    assertArrayEquals(data, Files.readAllBytes(dir.resolve(second.filename())));
    assertEquals(key(dir.resolve(first.filename())), key(dir.resolve(second.filename())),
        "a hard link, not a copy");
    assertEquals(1, count("documents"));
    assertEquals(2, count("files"));
    // sent again under its first name: nothing new
    var again = library.receive("report.txt", data, "text/plain", "@c:test", "lobby");
    assertEquals("report.txt", again.filename());
    assertEquals(2, count("files"));
    // another content does not fit in the quota the copy left
    var refused = assertThrows(Library.Refused.class,
        () -> library.receive("other.txt", bytes("something else entirely"), null, "@a:test",
            "lobby"));
    assertTrue(refused.getMessage().contains("files_quota"), refused.getMessage());
  }

  @Test
  void anotherFileOfATakenNameGetsANumber() throws Exception {
    var library = library(MB, 10 * MB);
    library.receive("notes.txt", bytes("first"), null, "@a:test", "lobby");
    var second = library.receive("../notes.txt", bytes("second"), null, "@a:test", "lobby");
    assertEquals("notes-2.txt", second.filename());
    assertEquals("first", Files.readString(dir.resolve("notes.txt")));
    assertEquals("second", Files.readString(dir.resolve("notes-2.txt")));
  }

  @Test
  void tooLargeOrOverTheQuotaLeavesNothingOnDisk() throws Exception {
    var library = library(10, 15);
    var big = assertThrows(Library.Refused.class,
        () -> library.receive("big.bin", new byte[11], null, "@a:test", "lobby"));
    assertTrue(big.getMessage().contains("max_file_size"), big.getMessage());
    library.receive("a.bin", new byte[10], null, "@a:test", "lobby");
    var full = assertThrows(Library.Refused.class,
        () -> library.receive("b.bin", new byte[] {1, 2, 3, 4, 5, 6}, null, "@a:test", "lobby"));
    assertTrue(full.getMessage().contains("full"), full.getMessage());
    assertEquals(List.of("a.bin"), names());
    assertEquals(1, count("files"));
  }

  @Test
  void anEmptyFileIsAFile() throws Exception {
    var stored = library(MB, MB).receive("empty.txt", new byte[0], null, "@a:test", "lobby");
    assertEquals(0, Files.size(dir.resolve(stored.filename())));
  }

  @Test
  void hostileNamesStayInsideTheFolderAndAreKeptAsData() throws Exception {
    var library = library(MB, MB);
    String nul = "evil\0name.txt";
    String rtl = "invoice\u202Efdp.exe";
    for (String name : List.of("../../etc/passwd", nul, "x".repeat(300) + ".txt", rtl,
        "/absolute/path", "..")) {
      var stored = library.receive(name, bytes(name), null, "@a:test", "lobby");
      Path file = dir.resolve(stored.filename()).normalize();
      assertEquals(dir, file.getParent(), name);
      assertTrue(stored.filename().length() <= FileNames.MAX_NAME, stored.filename());
      assertTrue(stored.filename().matches("[A-Za-z0-9._-]+"), stored.filename());
    }
    assertEquals(nul, library.list("evil").getFirst().originalName());
    assertEquals(rtl, library.list("fdp").getFirst().originalName());
    assertNull(library.resolve("../" + dir.getFileName() + "/passwd/../../x"));
    assertNotNull(library.resolve("passwd"));
  }

  @Test
  void atStartFilesFromBeforeAreRegisteredAndHalfWrittenOnesRemoved() throws Exception {
    Files.writeString(dir.resolve("old.txt"), "from before the library");
    Files.createDirectories(dir.resolve("sub"));
    Files.writeString(dir.resolve("sub/deep.csv"), "a,b\n1,2\n");
    Files.createDirectories(dir.resolve(Library.INCOMING));
    Files.writeString(dir.resolve(Library.INCOMING).resolve("x.part"), "half");
    // received while the database was away: stored without metadata
    new Library(dir, MB, MB, null).receive("away.txt", bytes("no metadata"), null, "@a:test",
        "lobby");
    var library = library(MB, MB);
    assertEquals(List.of(), Files.list(dir.resolve(Library.INCOMING)).toList());
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (library.list(null).size() < 3 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(List.of("away.txt", "old.txt", "sub/deep.csv"),
        library.list(null).stream().map(Library.Info::filename).sorted().toList());
    assertEquals("text/csv", library.list("deep").getFirst().mimeType());
  }

  @Test
  void aCopyDeletedFromDiskIsNotLinkedTo() throws Exception {
    var library = library(MB, MB);
    library.receive("a.txt", bytes("content"), null, "@a:test", "lobby");
    Files.delete(dir.resolve("a.txt"));
    var stored = library.receive("b.txt", bytes("content"), null, "@a:test", "lobby");
    assertFalse(stored.sameAsBefore());
    assertEquals("content", Files.readString(dir.resolve("b.txt")));
  }

  @Test
  void aSliceOfTextIsReadUpToItsEndOnly() throws Exception {
    var library = library(MB, MB);
    Files.writeString(dir.resolve("t.txt"), "Hyvää päivää, 日本語, مرحبا");
    var slice = library.read(dir.resolve("t.txt"), 6, 7);
    assertEquals("päivää,", slice.text());
    assertTrue(slice.more());
    assertFalse(slice.invalidUtf8());
    var end = library.read(dir.resolve("t.txt"), 19, 100);
    assertEquals("مرحبا", end.text());
    assertFalse(end.more());
    Files.write(dir.resolve("bad.txt"), new byte[] {'o', 'k', (byte) 0xC3, '!', 0});
    var bad = library.read(dir.resolve("bad.txt"), 0, 100);
    assertTrue(bad.invalidUtf8());
    assertTrue(Library.looksBinary(dir.resolve("bad.txt")));
    assertFalse(Library.looksBinary(dir.resolve("t.txt")));
  }

  private List<String> names() throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("."))
          .sorted().toList();
    }
  }

  private long count(String table) throws Exception {
    return db.transaction(c -> {
      try (var s = c.prepareStatement("SELECT count(*) FROM " + table);
          ResultSet r = s.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    });
  }

  private static Object key(Path file) throws Exception {
    return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
