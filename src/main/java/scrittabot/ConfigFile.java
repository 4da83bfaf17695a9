package scrittabot;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sets keys in config.yaml the way a person would: a key's line is replaced in place and a missing
 * key is appended, so comments, order and all other keys survive. Only top-level keys, which is
 * all config.yaml has; commented-out examples ({@code # key: ...}) are left alone.
 *
 * <p>Values are written single-quoted: tokens, '@bot:server' and '#room:server' are not all valid
 * plain YAML scalars. The file holds the access token, so it is written owner-only.
 */
public final class ConfigFile {
  private static final Pattern KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*");
  // A top-level key: at column 0 (not indented, not a comment), then ':' ending the key.
  private static final Pattern KEY_LINE = Pattern.compile("(" + KEY + ")[ \t]*:(?=[ \t]|$)(.*)");

  private ConfigFile() {}

  /** The text with each key set to its value; see the class comment. */
  public static String withKeys(String yamlText, Map<String, String> values) {
    values.forEach(ConfigFile::check);
    String eol = yamlText.contains("\r\n") ? "\r\n" : "\n";
    var lines = new ArrayList<>(List.of(yamlText.split("\r?\n", -1)));
    if (lines.getLast().isEmpty()) {
      lines.removeLast(); // after the final line break, which is added back below
    }
    var out = new ArrayList<String>();
    var written = new HashSet<String>();
    boolean droppingOldValue = false;
    for (String line : lines) {
      if (droppingOldValue && (line.isBlank() || continuesValue(line))) {
        if (line.isBlank()) {
          out.add(line);
        }
        continue;
      }
      droppingOldValue = false;
      Matcher m = KEY_LINE.matcher(line);
      if (m.matches() && values.containsKey(m.group(1))) {
        String key = m.group(1);
        out.add(key + ": " + quote(values.get(key)) + trailingComment(m.group(2)));
        written.add(key);
        droppingOldValue = true; // an old block value (a list of rooms, say) must go with it
      } else {
        out.add(line);
      }
    }
    values.forEach((key, value) -> {
      if (!written.contains(key)) {
        out.add(key + ": " + quote(value));
      }
    });
    return out.isEmpty() ? "" : String.join(eol, out) + eol;
  }

  /**
   * Sets the keys in {@code file} (created when missing), replacing it atomically so a crash never
   * leaves half a config, and leaves it readable by its owner only (where POSIX permissions exist).
   */
  public static void update(Path file, Map<String, String> values) throws IOException {
    // A symlinked config is updated where it points, and stays a link.
    Path target = Files.exists(file) ? file.toRealPath() : file.toAbsolutePath();
    Path tmp = null;
    try {
      String old = Files.exists(target) ? Files.readString(target) : "";
      byte[] text = withKeys(old, values).getBytes(StandardCharsets.UTF_8);
      tmp = ownerOnlyTempFile(target);
      Files.write(tmp, text);
      try (var channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        channel.force(true); // on disk before the rename makes it the config
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new IOException("cannot update config file " + file + ": "
          + e.getClass().getSimpleName() + " " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  private static Path ownerOnlyTempFile(Path target) throws IOException {
    Path dir = target.getParent();
    String prefix = "." + target.getFileName() + ".";
    if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return Files.createTempFile(dir, prefix, ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
    Path tmp = Files.createTempFile(dir, prefix, ".tmp");
    var f = tmp.toFile();
    boolean ok = f.setReadable(false, false) && f.setReadable(true, true)
        && f.setWritable(false, false) && f.setWritable(true, true);
    if (!ok) {
      throw new IOException("cannot make " + tmp + " private to its owner");
    }
    return tmp;
  }

  /** A single-quoted YAML scalar: only the quote itself needs escaping, as ''. */
  static String quote(String value) {
    return "'" + value.replace("'", "''") + "'";
  }

  // Never shows the value: it may be a token.
  private static void check(String key, String value) {
    if (!KEY.matcher(key).matches()) {
      throw new IllegalArgumentException("'" + key + "' is not a plain config key");
    }
    if (value == null || value.chars().anyMatch(c ->
        Character.isISOControl(c) || c == '\u2028' || c == '\u2029')) {
      throw new IllegalArgumentException("the value for " + key + " is missing or holds a line "
          + "break or control character, which config.yaml cannot hold");
    }
  }

  /** Indented lines and list items after a key belong to its value. */
  private static boolean continuesValue(String line) {
    return line.startsWith(" ") || line.startsWith("\t") || line.equals("-")
        || line.startsWith("- ");
  }

  /** The comment after an old value, or "": a '#' starts a comment only after a space. */
  private static String trailingComment(String afterColon) {
    String v = afterColon.stripLeading();
    int i = v.startsWith("'") || v.startsWith("\"") ? afterClosingQuote(v) : 0;
    for (; i < v.length(); i++) {
      if (v.charAt(i) == '#' && (i == 0 || isBlank(v.charAt(i - 1)))) {
        int from = i;
        while (from > 0 && isBlank(v.charAt(from - 1))) {
          from--; // keeps the spaces that align comments in a column
        }
        return from == 0 ? " " + v.substring(i) : v.substring(from);
      }
    }
    return "";
  }

  private static boolean isBlank(char c) {
    return c == ' ' || c == '\t';
  }

  private static int afterClosingQuote(String v) {
    char quote = v.charAt(0);
    for (int i = 1; i < v.length(); i++) {
      char c = v.charAt(i);
      if (quote == '"' && c == '\\') {
        i++;
      } else if (c == quote && quote == '\'' && i + 1 < v.length() && v.charAt(i + 1) == '\'') {
        i++;
      } else if (c == quote) {
        return i + 1;
      }
    }
    return v.length();
  }
}
