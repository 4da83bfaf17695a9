package scrittabot.library;

import java.text.Normalizer;

/**
 * Names for files that come from other people. Only ASCII letters, digits, dot, dash and
 * underscore: such a name cannot leave the folder, hide its end behind a right-to-left mark, or
 * fail on a server whose locale is not UTF-8 (Java then cannot create other names at all). The
 * name as sent is kept in the database, as data.
 */
public final class FileNames {
  static final int MAX_NAME = 100;
  private static final int MAX_EXTENSION = 10;

  private FileNames() {}

  /**
   * A safe form of {@code name}: its last path element, accents dropped, every other character
   * run turned into one underscore, no leading dot, at most {@value #MAX_NAME} characters with
   * the extension kept; "file" when nothing is left (a name in another script).
   */
  public static String safe(String name) {
    String base = name == null ? "" : name.replace('\\', '/');
    base = base.substring(base.lastIndexOf('/') + 1);
    int dot = base.lastIndexOf('.');
    String ext = dot > 0 ? clean(base.substring(dot + 1)) : "";
    ext = ext.length() > MAX_EXTENSION ? ext.substring(0, MAX_EXTENSION) : ext;
    String stem = clean(dot > 0 ? base.substring(0, dot) : base).replaceAll("^[._-]+", "");
    if (stem.isEmpty()) {
      stem = "file"; // e.g. "отчёт.pdf" becomes file.pdf
    }
    int room = MAX_NAME - (ext.isEmpty() ? 0 : ext.length() + 1);
    stem = stem.length() > room ? stem.substring(0, room) : stem;
    return ext.isEmpty() ? stem : stem + "." + ext;
  }

  private static String clean(String part) {
    String ascii = Normalizer.normalize(part, Normalizer.Form.NFKD).replaceAll("\\p{M}", "");
    return ascii.replaceAll("[^A-Za-z0-9._-]+", "_").replaceAll("^_+|_+$", "");
  }

  /** The n-th candidate for a name already taken: notes.txt, notes-2.txt, notes-3.txt, ... */
  static String numbered(String safe, int n) {
    if (n == 1) {
      return safe;
    }
    int dot = safe.lastIndexOf('.');
    return dot > 0 ? safe.substring(0, dot) + "-" + n + safe.substring(dot) : safe + "-" + n;
  }
}
