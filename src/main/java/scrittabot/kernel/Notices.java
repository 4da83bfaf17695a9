package scrittabot.kernel;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import scrittabot.Resources;

/**
 * The kernel's notices to the agent. Their words are prompt text, kept in notices.md beside this
 * class so that trying other words needs no change to the code.
 */
public final class Notices {
  private static final Pattern HEADING = Pattern.compile("(?m)^## ([a-z-]+)[ \\t]*$");
  private static final Pattern SLOT = Pattern.compile("\\{([a-z]+)}");
  private static final Map<String, String> TEXTS =
      parse(Resources.text(Notices.class, "notices.md"));

  private Notices() {}

  /** The notice {@code name}, each {word} in it filled from {@code values}. */
  public static String text(String name, Map<String, ?> values) {
    String text = TEXTS.get(name);
    if (text == null) {
      throw new IllegalArgumentException("notices.md has no notice '" + name + "'");
    }
    // one pass: a value that holds {braces} (an error message) is not filled in again
    Matcher slot = SLOT.matcher(text);
    var out = new StringBuilder();
    while (slot.find()) {
      Object value = values.get(slot.group(1));
      if (value == null) {
        throw new IllegalArgumentException("notice '" + name + "' needs {" + slot.group(1) + "}");
      }
      slot.appendReplacement(out, Matcher.quoteReplacement(value.toString()));
    }
    return slot.appendTail(out).toString();
  }

  public static String text(String name) {
    return text(name, Map.of());
  }

  /** The "## name" sections, each text on one line; the comment on top is not a section. */
  static Map<String, String> parse(String file) {
    var texts = new LinkedHashMap<String, String>();
    Matcher heading = HEADING.matcher(file);
    String name = null;
    int from = 0;
    while (heading.find()) {
      if (name != null) {
        texts.put(name, join(file.substring(from, heading.start())));
      }
      name = heading.group(1);
      from = heading.end();
    }
    if (name != null) {
      texts.put(name, join(file.substring(from)));
    }
    return texts;
  }

  private static String join(String lines) {
    return lines.strip().replaceAll("\\s*\\n\\s*", " ");
  }
}
