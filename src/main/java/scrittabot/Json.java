package scrittabot;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * JSON text to plain Java values (Map, List, String, Number, Boolean, null) and back. One place so
 * that every part of the bot reads and writes JSON the same way.
 */
public final class Json {
  // Null map entries are written: a tool's {"a": None} must reach Python as it was.
  private static final JSON JSON_STD = JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES);

  private Json() {}

  /** Parses any JSON value; throws {@link IllegalArgumentException} naming the problem. */
  public static Object parse(String text) {
    try {
      return JSON_STD.anyFrom(text);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("invalid JSON: " + firstLine(e.getMessage()), e);
    }
  }

  /** Parses a JSON object; anything else is an {@link IllegalArgumentException}. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> parseObject(String text) {
    if (parse(text) instanceof Map<?, ?> map) {
      return (Map<String, Object>) map;
    }
    throw new IllegalArgumentException("expected a JSON object: " + abbreviate(text, 200));
  }

  public static String write(Object value) {
    try {
      return JSON_STD.asString(value);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot write as JSON: " + e.getMessage(), e);
    }
  }

  /** Follows a path of map keys and list indexes; null when any step is missing. */
  public static Object at(Object root, Object... path) {
    Object node = root;
    for (Object step : path) {
      if (step instanceof String key && node instanceof Map<?, ?> map) {
        node = map.get(key);
      } else if (step instanceof Integer i && node instanceof List<?> list && i < list.size()) {
        node = list.get(i);
      } else {
        return null;
      }
    }
    return node;
  }

  public static String abbreviate(String text, int max) {
    return text.length() <= max ? text : text.substring(0, max) + "...";
  }

  private static String firstLine(String message) {
    return message == null ? "" : message.lines().findFirst().orElse("");
  }
}
