package scrittabot.library;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.memory.Database;
import scrittabot.memory.StoredText;

/**
 * The files folder and what is known of its files. A received file is stored once under a safe
 * name; the same bytes sent again under another name become a hard link to them (every name
 * still opens, the disk holds one copy). Sizes are capped per file and for the folder, and a
 * file appears under its name whole or not at all. Metadata goes to PostgreSQL; when it is away
 * the file is kept anyway, and {@link #start()} registers at the next start what the table lacks.
 */
public final class Library {
  private static final Logger log = LoggerFactory.getLogger(Library.class);
  /** Where a file is written before it appears under its name; emptied at start. */
  static final String INCOMING = ".incoming";
  /** The text of PDFs and web pages, extracted once. */
  static final String TEXTS = ".text";
  /** Files come from other people: the disk keeps this much free whatever the quota says. */
  private static final long KEEP_FREE = 1L << 30;
  private static final int LIST_LIMIT = 50;

  /** A file as stored: its name under the folder, and whether the same bytes were there. */
  public record Stored(String filename, long size, String mimeType, String sha256,
      boolean sameAsBefore) {}

  /** A file as the agent's list shows it. */
  public record Info(String filename, String originalName, String mimeType, long size,
      String sender, Instant received, String state, String progress, String summary) {}

  /** A file that is not kept, and why, in words for the person who sent it and for the agent. */
  public static final class Refused extends Exception {
    public Refused(String reason) {
      super(reason);
    }
  }

  private final Path dir;
  private final long maxFileSize;
  private final long quota;
  private final Database db;
  /** Bytes in the folder, each content counted once (hard links share it). */
  private long used;
  private volatile Runnable onStored = () -> { };

  /** {@code db} may be null: files are then stored and read without metadata. */
  public Library(Path dir, long maxFileSize, long quota, Database db) {
    this.dir = dir.toAbsolutePath().normalize();
    this.maxFileSize = maxFileSize;
    this.quota = quota;
    this.db = db;
  }

  /** A library without a database or limits to speak of: for tools in tests and benchmarks. */
  public static Library offline(Path dir) {
    return new Library(dir, 1L << 30, 1L << 40, null);
  }

  public Path dir() {
    return dir;
  }

  public long maxFileSize() {
    return maxFileSize;
  }

  /** {@code action} runs whenever something may be new to index. */
  public void onStored(Runnable action) {
    onStored = action;
  }

  /**
   * Makes the folder, removes what a crash left half-written, counts what is there, and
   * registers the files the database does not know yet (from before the library, or from a time
   * the database was away), in the background.
   */
  public synchronized void start() throws IOException {
    Files.createDirectories(dir.resolve(INCOMING));
    try (Stream<Path> partial = Files.list(dir.resolve(INCOMING))) {
      for (Path p : partial.toList()) {
        Files.deleteIfExists(p);
        log.info("removed {}, half-written when the bot stopped", p.getFileName());
      }
    }
    List<Path> files = files();
    used = usage(files);
    log.info("files in {}: {} names, {} MB of files_quota's {} MB", dir, files.size(),
        used >> 20, quota >> 20);
    if (db != null) {
      Thread.ofVirtual().name("library-scan").start(() -> register(files));
    }
  }

  /**
   * Stores what a person sent. Refused when it is larger than max_file_size, would take the
   * folder over files_quota, or would leave the disk nearly full; nothing is left on disk then.
   */
  public synchronized Stored receive(String originalName, byte[] data, String mimeType,
      String sender, String room) throws Refused, IOException {
    if (data.length > maxFileSize) {
      throw new Refused("it has " + megabytes(data.length) + ", more than max_file_size ("
          + megabytes(maxFileSize) + ")");
    }
    Files.createDirectories(dir);
    String sha = sha256(data);
    String safe = FileNames.safe(originalName);
    String mime = mimeType == null || mimeType.isBlank() || mimeType.endsWith("/*")
        ? Kind.guessMime(safe) : mimeType;
    Path same = sameBytes(sha, data.length);
    String name;
    if (same != null && same.getFileName().toString().equals(safe)) {
      name = safe; // sent again under the same name: nothing new to store
    } else if (same != null) {
      name = link(safe, same);
    } else {
      if (used + data.length > quota) {
        throw new Refused("the files folder is full: it holds " + megabytes(used)
            + " of files_quota's " + megabytes(quota));
      }
      if (Files.getFileStore(dir).getUsableSpace() - data.length < KEEP_FREE) {
        throw new Refused("the server's disk is nearly full");
      }
      name = write(safe, data);
      used += data.length;
    }
    record(name, originalName, mime, data.length, sha, sender, room, Instant.now());
    onStored.run();
    return new Stored(name, data.length, mime, sha, same != null);
  }

  /** The agent's own folder inside the files folder, where write_file writes. */
  public static final String OWN = "agent";

  /**
   * Writes one of the agent's own files, under {@value #OWN}/, whole or not at all; a file of
   * that name is replaced. Returns the name as open() takes it.
   */
  public synchronized Stored write(String name, String content) throws Refused, IOException {
    String base = name.startsWith(OWN + "/") ? name.substring(OWN.length() + 1) : name;
    String safe = FileNames.safe(base);
    byte[] data = content.getBytes(StandardCharsets.UTF_8);
    if (data.length > maxFileSize) {
      throw new Refused("it would have " + megabytes(data.length) + ", more than max_file_size ("
          + megabytes(maxFileSize) + ")");
    }
    String filename = OWN + "/" + safe;
    String mime = Kind.guessMime(safe);
    String sha = replace(filename, data, null, null, mime);
    return new Stored(filename, data.length, mime, sha, false);
  }

  /** Where fetched web pages are kept, one file per address. */
  public static final String WEB = "web";

  /** The kinds of page fetch_url keeps, by the extension of their name. */
  private static final List<String> WEB_EXTENSIONS = List.of("html", "txt", "json", "pdf");

  /**
   * The name a page fetched from {@code url} is kept under: the same for the same address, so
   * that it need not be fetched again soon. Null for a type the library cannot read.
   */
  public static String webName(String url, String mimeType) {
    String mime = mimeType == null ? "" : mimeType.toLowerCase(java.util.Locale.ROOT);
    String ext = mime.contains("html") ? "html" : mime.contains("pdf") ? "pdf"
        : mime.contains("json") ? "json" : mime.startsWith("text/") ? "txt" : null;
    return ext == null ? null : webStem(url) + "." + ext;
  }

  private static String webStem(String url) {
    var uri = java.net.URI.create(url.strip());
    String stem = FileNames.safe(uri.getHost() + (uri.getRawPath() == null ? ""
        : uri.getRawPath().replace('/', '_')));
    stem = stem.length() > 60 ? stem.substring(0, 60) : stem;
    return WEB + "/" + stem + "-" + sha256(url.strip().getBytes(StandardCharsets.UTF_8))
        .substring(0, 10);
  }

  /** The name of a page fetched from {@code url} less than {@code maxAge} ago, or null. */
  public String fetchedBefore(String url, Duration maxAge) throws IOException {
    for (String ext : WEB_EXTENSIONS) {
      String name = webStem(url) + "." + ext;
      Path file = resolve(name);
      if (file != null && Files.getLastModifiedTime(file).toInstant()
          .isAfter(Instant.now().minus(maxAge))) {
        return name;
      }
    }
    return null;
  }

  /** Keeps a fetched page under its name (replacing an older fetch), whole or not at all. */
  public synchronized Path storeFetched(String name, String url, byte[] data, String mimeType)
      throws Refused, IOException {
    replace(name, data, url, "web", mimeType);
    return dir.resolve(name);
  }

  /**
   * Puts {@code data} under {@code filename}, replacing what was there, within the quota, and
   * records it; returns its sha256. A rename replaces the name, never the bytes of a file
   * linked to it.
   */
  private String replace(String filename, byte[] data, String originalName, String sender,
      String mime) throws Refused, IOException {
    Path target = dir.resolve(filename);
    long old = Files.isRegularFile(target) ? Files.size(target) : 0;
    if (used - old + data.length > quota) {
      throw new Refused("the files folder is full: it holds " + megabytes(used)
          + " of files_quota's " + megabytes(quota));
    }
    Files.createDirectories(target.getParent());
    Path partial = dir.resolve(INCOMING).resolve(UUID.randomUUID() + ".part");
    Files.createDirectories(partial.getParent());
    try {
      Files.write(partial, data);
      Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(partial);
    }
    used += data.length - old;
    String sha = sha256(data);
    if (db != null) {
      try {
        db.transaction(c -> {
          Long before = null;
          try (var s = c.prepareStatement("SELECT document FROM files WHERE filename = ?")) {
            s.setString(1, filename);
            try (ResultSet r = s.executeQuery()) {
              before = r.next() ? r.getLong(1) : null;
            }
          }
          insert(c, filename, originalName, mime, data.length, sha, sender, null, Instant.now());
          try (var s = c.prepareStatement("UPDATE files SET document = (SELECT id FROM documents "
              + "WHERE sha256 = ?), received = now() WHERE filename = ?")) {
            s.setString(1, sha);
            s.setString(2, filename);
            s.executeUpdate();
          }
          if (before == null) {
            return null;
          }
          // what no name opens any more is kept, but no longer recalled or searched
          try (var s = c.prepareStatement("UPDATE documents d SET state = 'replaced', "
              + "progress = 'no file holds it any more' WHERE id = ? "
              + "AND NOT EXISTS (SELECT 1 FROM files f WHERE f.document = d.id)")) {
            s.setLong(1, before);
            s.executeUpdate();
          }
          return null;
        });
      } catch (SQLException e) {
        log.warn("{} is stored, but its metadata is not ({}); it is registered at the next "
            + "start", filename, e.toString());
      }
    }
    onStored.run();
    return sha;
  }

  /** A document as the database knows it: its id, and how far its indexing is. */
  public record Document(long id, String state, String progress) {}

  /** The document stored under a name, or null when the library does not know the name. */
  public Document document(String filename) throws SQLException {
    if (db == null) {
      return null;
    }
    return db.transaction(c -> {
      try (var s = c.prepareStatement("SELECT d.id, d.state, d.progress FROM files f "
          + "JOIN documents d ON d.id = f.document WHERE f.filename = ?")) {
        s.setString(1, filename.startsWith("/") ? filename.substring(1) : filename);
        try (ResultSet r = s.executeQuery()) {
          return r.next() ? new Document(r.getLong(1), r.getString(2), r.getString(3)) : null;
        }
      }
    });
  }

  /** The file of a name as open() takes it, inside the folder (no link out), or null. */
  public Path resolve(String filename) {
    String relative = filename.startsWith("/") ? filename.substring(1) : filename;
    try {
      Path file = dir.resolve(relative).normalize();
      if (file.startsWith(dir) && !file.startsWith(dir.resolve(INCOMING))
          && Files.isRegularFile(file) && file.toRealPath().startsWith(dir.toRealPath())) {
        return file;
      }
    } catch (IOException | InvalidPathException e) {
      // no such file, as far as the agent can tell
    }
    return null;
  }

  /** The top summary of a document as one line of at most 200 characters; null for none. */
  private static String oneLine(String summary) {
    if (summary == null) {
      return null;
    }
    String line = StoredText.decode(summary).strip().replaceAll("\\s+", " ");
    int cut = Character.isHighSurrogate(line.charAt(Math.min(198, line.length() - 1))) ? 198 : 199;
    return line.length() <= 200 ? line : line.substring(0, cut) + "…";
  }

  /** The newest files whose name (or name as sent) holds {@code query}; all when it is null. */
  public List<Info> list(String query) throws SQLException {
    if (db == null) {
      return List.of();
    }
    return db.transaction(c -> {
      try (var s = c.prepareStatement("SELECT f.filename, f.original_name, d.mime_type, d.size, "
          + "f.sender, f.received, d.state, d.progress, (SELECT text FROM chunks "
          + "WHERE document = d.id AND depth > 0 ORDER BY depth DESC, start_offset LIMIT 1) "
          + "FROM files f JOIN documents d "
          + "ON d.id = f.document WHERE ? IS NULL OR strpos(lower(f.filename), lower(?)) > 0 "
          + "OR strpos(lower(coalesce(f.original_name, '')), lower(?)) > 0 "
          + "ORDER BY f.received DESC, f.id DESC LIMIT " + LIST_LIMIT)) {
        String q = query == null || query.isBlank() ? null : StoredText.encode(query.strip());
        s.setString(1, q);
        s.setString(2, q);
        s.setString(3, q);
        var infos = new ArrayList<Info>();
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            infos.add(new Info(r.getString(1), StoredText.decode(r.getString(2)),
                r.getString(3), r.getLong(4), r.getString(5), r.getTimestamp(6).toInstant(),
                r.getString(7), r.getString(8), oneLine(r.getString(9))));
          }
        }
        return infos;
      }
    });
  }

  /** A slice of a text file. */
  public record Slice(String text, int start, boolean more, boolean invalidUtf8) {}

  /**
   * Characters {@code start} to {@code start + length} of a text file, decoded as UTF-8 (bytes
   * that are not UTF-8 become U+FFFD and the slice says so). Reads only up to the slice's end.
   */
  public Slice read(Path file, int start, int length) throws IOException {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPLACE)
        .onUnmappableCharacter(CodingErrorAction.REPLACE);
    try (Reader in = new InputStreamReader(Files.newInputStream(file), decoder)) {
      long skipped = in.skip(start);
      if (skipped < start) {
        return new Slice("", (int) skipped, false, false);
      }
      char[] buffer = new char[length + 1];
      int n = 0;
      while (n < buffer.length) {
        int r = in.read(buffer, n, buffer.length - n);
        if (r < 0) {
          break;
        }
        n += r;
      }
      String text = new String(buffer, 0, Math.min(n, length));
      return new Slice(text, start, n > length, text.indexOf('\uFFFD') >= 0);
    }
  }

  /**
   * The text of a stored file, to read or index: the file itself when it is text, else the text
   * extracted from it (a PDF or web page; extracted now, within {@code timeout}, the first
   * time). Refused with the reason when there is no text to be had.
   */
  public Path textOf(Path file, Duration timeout) throws Refused, IOException,
      InterruptedException {
    Kind kind = Kind.of(file.getFileName().toString(), null);
    switch (kind) {
      case TEXT -> {
        if (looksBinary(file)) {
          throw new Refused("it holds binary data, not text, whatever its name says");
        }
        return file;
      }
      case HTML, PDF -> {
        var attributes = Files.readAttributes(file, BasicFileAttributes.class);
        // the same bytes under every name (hard links) share one text; a changed file gets anew
        String key = String.valueOf(attributes.fileKey()).replaceAll("[^A-Za-z0-9]+", "_")
            + "-" + attributes.size() + "-" + attributes.lastModifiedTime().toMillis();
        Path text = dir.resolve(TEXTS).resolve(key + ".txt");
        if (!Files.exists(text)) {
          Extraction.run(kind, file, text, timeout);
        }
        return text;
      }
      case IMAGE -> throw new Refused("it is an image, which has no text to read");
      default -> throw new Refused("it is " + kind.why());
    }
  }

  /** True when the first bytes hold a NUL: a binary file, whatever its name says. */
  public static boolean looksBinary(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] head = in.readNBytes(8192);
      for (byte b : head) {
        if (b == 0) {
          return true;
        }
      }
      return false;
    }
  }

  // --- storing ---

  /** Writes the bytes beside the folder's files, then gives them the first free name. */
  private String write(String safe, byte[] data) throws IOException {
    Path partial = dir.resolve(INCOMING).resolve(UUID.randomUUID() + ".part");
    Files.createDirectories(partial.getParent());
    try {
      Files.write(partial, data);
      return link(safe, partial);
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  /**
   * The first free numbered form of {@code safe}, made a hard link to {@code existing}: a link
   * never replaces a file of that name (a rename would), and the file appears whole at once.
   */
  private String link(String safe, Path existing) throws IOException {
    for (int n = 1; ; n++) {
      String name = FileNames.numbered(safe, n);
      try {
        Files.createLink(dir.resolve(name), existing);
        return name;
      } catch (FileAlreadyExistsException e) {
        // taken: try the next number
      } catch (UnsupportedOperationException e) {
        throw new IOException("the file system of " + dir + " has no hard links", e);
      }
    }
  }

  /** The stored file with these bytes, found by their sha256 and checked on disk, or null. */
  private Path sameBytes(String sha, long size) {
    if (db == null) {
      return null;
    }
    try {
      List<String> names = db.transaction(c -> {
        try (var s = c.prepareStatement("SELECT f.filename FROM files f JOIN documents d "
            + "ON d.id = f.document WHERE d.sha256 = ? ORDER BY f.id")) {
          s.setString(1, sha);
          var found = new ArrayList<String>();
          try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
              found.add(r.getString(1));
            }
          }
          return found;
        }
      });
      for (String name : names) {
        Path file = resolve(name);
        // the admin may have deleted or changed it since: then it is not the same any more
        if (file != null && Files.size(file) == size && sha256(Files.readAllBytes(file))
            .equals(sha)) {
          return file;
        }
      }
    } catch (SQLException | IOException e) {
      log.warn("cannot look for an earlier copy of a received file ({}); storing it anew",
          e.toString());
    }
    return null;
  }

  /** Keeps the metadata of a stored name; a database that is away only costs the metadata. */
  private void record(String filename, String originalName, String mime, long size, String sha,
      String sender, String room, Instant received) {
    if (db == null) {
      return;
    }
    try {
      db.transaction(c -> {
        insert(c, filename, originalName, mime, size, sha, sender, room, received);
        return null;
      });
    } catch (SQLException e) {
      log.warn("{} is stored, but its metadata is not ({}); it is registered at the next start",
          filename, e.toString());
    }
  }

  private static void insert(Connection c, String filename, String originalName, String mime,
      long size, String sha, String sender, String room, Instant received) throws SQLException {
    long document;
    try (var s = c.prepareStatement("INSERT INTO documents (filename, mime_type, size, sha256, "
        + "state, progress) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO UPDATE "
        + "SET sha256 = excluded.sha256 RETURNING id")) {
      Kind kind = Kind.of(filename, mime);
      s.setString(1, filename);
      s.setString(2, mime);
      s.setLong(3, size);
      s.setString(4, sha);
      s.setString(5, kind.indexed() ? "new" : "not indexed");
      s.setString(6, kind.indexed() ? null : kind.why());
      try (ResultSet r = s.executeQuery()) {
        r.next();
        document = r.getLong(1);
      }
    }
    try (var s = c.prepareStatement("INSERT INTO files (filename, document, original_name, "
        + "sender, room, received) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (filename) DO NOTHING")) {
      s.setString(1, filename);
      s.setLong(2, document);
      s.setString(3, StoredText.encode(originalName));
      s.setString(4, sender);
      s.setString(5, room);
      s.setTimestamp(6, Timestamp.from(received));
      s.executeUpdate();
    }
  }

  // --- what is on disk ---

  /** Every regular file under the folder, outside hidden folders. */
  private List<Path> files() throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(p -> !p.equals(dir) && Files.isRegularFile(p)
          && dir.relativize(p).toString().chars().noneMatch(ch -> ch == 0)
          && !hidden(dir.relativize(p))).toList();
    }
  }

  private static boolean hidden(Path relative) {
    for (Path part : relative) {
      if (part.toString().startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  /** The bytes the files take, hard links counted once. */
  private static long usage(List<Path> files) throws IOException {
    Set<Object> seen = new HashSet<>();
    long total = 0;
    for (Path p : files) {
      var attributes = Files.readAttributes(p, BasicFileAttributes.class);
      Object key = attributes.fileKey();
      if (key == null || seen.add(key)) {
        total += attributes.size();
      }
    }
    return total;
  }

  /** Registers the files the table does not know, as sent by nobody known, at their time. */
  private void register(List<Path> files) {
    int added = 0;
    try {
      Set<String> known = new HashSet<>(db.transaction(c -> {
        var names = new ArrayList<String>();
        try (var s = c.prepareStatement("SELECT filename FROM files");
            ResultSet r = s.executeQuery()) {
          while (r.next()) {
            names.add(r.getString(1));
          }
        }
        return names;
      }));
      for (Path p : files) {
        String name = dir.relativize(p).toString();
        if (known.contains(name)) {
          continue;
        }
        if (Files.size(p) > maxFileSize) {
          log.warn("{} in {} is larger than max_file_size; left out of the library", name, dir);
          continue;
        }
        byte[] data = Files.readAllBytes(p);
        Instant time = Files.getLastModifiedTime(p).toInstant();
        db.transaction(c -> {
          insert(c, name, null, Kind.guessMime(name), data.length, sha256(data), null, null,
              time);
          return null;
        });
        added++;
      }
      if (added > 0) {
        log.info("registered {} files found in {} that the library did not know", added, dir);
        onStored.run();
      }
    } catch (SQLException | IOException | RuntimeException e) {
      log.warn("registering the files found in {} stopped after {}: {}", dir, added,
          e.toString());
    }
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  static String megabytes(long bytes) {
    return bytes < 1 << 20 ? bytes + " bytes" : String.format("%.1f MB", bytes / 1048576.0);
  }
}
