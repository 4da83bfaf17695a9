package scrittabot.memory;

/**
 * PostgreSQL's text cannot hold a NUL character. Text is stored with NUL written as U+E000 '0'
 * and U+E000 itself doubled, so it comes back exactly as it was: a private-use character that
 * real text hardly ever holds, and no information lost when it does.
 */
public final class StoredText {
  private static final char ESCAPE = '\uE000';

  private StoredText() {}

  public static String encode(String text) {
    if (text == null || (text.indexOf('\0') < 0 && text.indexOf(ESCAPE) < 0)) {
      return text;
    }
    var out = new StringBuilder(text.length() + 8);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\0') {
        out.append(ESCAPE).append('0');
      } else if (c == ESCAPE) {
        out.append(ESCAPE).append(ESCAPE);
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  public static String decode(String stored) {
    if (stored == null || stored.indexOf(ESCAPE) < 0) {
      return stored;
    }
    var out = new StringBuilder(stored.length());
    for (int i = 0; i < stored.length(); i++) {
      char c = stored.charAt(i);
      if (c == ESCAPE && i + 1 < stored.length()) {
        char next = stored.charAt(++i);
        out.append(next == '0' ? '\0' : next);
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
