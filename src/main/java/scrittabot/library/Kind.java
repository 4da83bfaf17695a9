package scrittabot.library;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** What kind of file a name and type announce: how the library can read it. */
public enum Kind {
  TEXT, HTML, PDF, IMAGE, OTHER;

  private static final Set<String> TEXT_EXTENSIONS = Set.of("txt", "text", "md", "markdown",
      "rst", "org", "log", "csv", "tsv", "json", "jsonl", "yaml", "yml", "toml", "ini", "cfg",
      "conf", "xml", "svg", "tex", "srt", "vtt", "py", "java", "kt", "scala", "groovy", "js",
      "mjs", "ts", "tsx", "jsx", "c", "h", "cc", "cpp", "hpp", "cs", "go", "rs", "rb", "php",
      "pl", "lua", "r", "m", "swift", "sh", "bash", "zsh", "ps1", "bat", "sql", "css", "scss",
      "gradle", "properties", "diff", "patch", "mk", "cmake", "dockerfile");
  private static final Set<String> TEXT_NAMES = Set.of("readme", "license", "makefile",
      "dockerfile", "changelog", "copying", "notice");
  private static final Map<String, String> MIME = Map.ofEntries(Map.entry("txt", "text/plain"),
      Map.entry("md", "text/markdown"), Map.entry("markdown", "text/markdown"),
      Map.entry("csv", "text/csv"), Map.entry("json", "application/json"),
      Map.entry("html", "text/html"), Map.entry("htm", "text/html"),
      Map.entry("pdf", "application/pdf"), Map.entry("png", "image/png"),
      Map.entry("jpg", "image/jpeg"), Map.entry("jpeg", "image/jpeg"),
      Map.entry("gif", "image/gif"), Map.entry("bmp", "image/bmp"),
      Map.entry("webp", "image/webp"), Map.entry("svg", "image/svg+xml"),
      Map.entry("zip", "application/zip"), Map.entry("docx",
          "application/vnd.openxmlformats-officedocument.wordprocessingml.document"));

  /** The kind of a file by its name first (people's clients often say octet-stream), then type. */
  public static Kind of(String filename, String mimeType) {
    String ext = extension(filename);
    String mime = mimeType == null ? "" : mimeType.toLowerCase(Locale.ROOT);
    if (ext.equals("pdf") || mime.equals("application/pdf")) {
      return PDF;
    }
    if (ext.equals("html") || ext.equals("htm") || mime.equals("text/html")
        || mime.equals("application/xhtml+xml")) {
      return HTML;
    }
    if (mime.startsWith("image/") && !mime.equals("image/svg+xml")) {
      return IMAGE;
    }
    if (Set.of("png", "jpg", "jpeg", "gif", "bmp").contains(ext)) {
      return IMAGE;
    }
    String base = base(filename).toLowerCase(Locale.ROOT);
    if (TEXT_EXTENSIONS.contains(ext) || TEXT_NAMES.contains(base.replaceAll("\\..*", ""))
        || mime.startsWith("text/") || mime.equals("application/json")) {
      return TEXT;
    }
    return OTHER;
  }

  /** Whether the library makes memory of this kind (indexes it). */
  public boolean indexed() {
    return this != OTHER;
  }

  /** Why a file of this kind is stored but not indexed, for the agent. */
  String why() {
    return this == OTHER ? "not a kind the library reads (it reads text, Markdown, source code, "
        + "CSV, JSON, HTML, PDF and images)" : null;
  }

  /** A MIME type from the name, for files that came without one. */
  static String guessMime(String filename) {
    String ext = extension(filename);
    if (MIME.containsKey(ext)) {
      return MIME.get(ext);
    }
    return of(filename, null) == TEXT ? "text/plain" : "application/octet-stream";
  }

  private static String base(String filename) {
    String name = filename == null ? "" : filename;
    return name.substring(name.lastIndexOf('/') + 1);
  }

  private static String extension(String filename) {
    String base = base(filename);
    int dot = base.lastIndexOf('.');
    return dot > 0 ? base.substring(dot + 1).toLowerCase(Locale.ROOT) : "";
  }
}
