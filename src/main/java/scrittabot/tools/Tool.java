package scrittabot.tools;

import java.util.Map;

/**
 * One tool of the agent, written once: its Python parameter list, its docstring and its Java
 * body. The Python function in the sandbox and the tool reference in the prompt come from here.
 *
 * @param name the Python function name
 * @param params the Python parameter list, e.g. {@code "message, room=None"}
 * @param doc what the tool does, for the LLM; the first line is its summary
 * @param body the Java implementation; receives the arguments by name
 */
public record Tool(String name, String params, String doc, Body body) {

  /** The Java side of a tool. Returns a JSON-like value: String, Number, Boolean, null, List, Map. */
  @FunctionalInterface
  public interface Body {
    Object call(Args args) throws ToolError;
  }

  public Tool {
    if (!name.matches("[a-z_][a-z0-9_]*")) {
      throw new IllegalArgumentException("not a Python function name: " + name);
    }
  }

  /** The Python definition sent to the sandbox; {@code _call_tool} is the bridge to the bot. */
  String pythonSource() {
    return "def " + name + "(" + params + "):\n"
        + "    " + pythonString(doc) + "\n"
        + "    return _call_tool(" + pythonString(name) + ", dict(locals()))\n";
  }

  /**
   * The tool's line in the system prompt: its signature and the first sentence of its doc. The
   * rest (details, an example) is one help(name) away: the fixed part of every prompt stays small.
   */
  String reference() {
    return "- " + name + "(" + params + "): " + summary();
  }

  /** The doc's first sentence, on one line. */
  String summary() {
    String text = doc.strip().replaceAll("\\s*\n\\s*", " ");
    int end = text.indexOf(". ");
    return end < 0 ? text : text.substring(0, end + 1);
  }

  private static String pythonString(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }

  /** A tool's arguments, with typed accessors whose errors read well to the LLM. */
  public record Args(String tool, Map<String, Object> values) {

    public String string(String key) throws ToolError {
      Object v = values.get(key);
      if (v instanceof String s) {
        return s;
      }
      throw ToolError.type(tool + "(): " + key + " must be a string, not " + typeName(v));
    }

    public String optionalString(String key) throws ToolError {
      return values.get(key) == null ? null : string(key);
    }

    /** A list of strings, or one string of comma-separated items; null when absent. */
    public java.util.List<String> optionalStrings(String key) throws ToolError {
      Object v = values.get(key);
      if (v == null) {
        return null;
      }
      java.util.List<?> items = v instanceof String s ? java.util.Arrays.asList(s.split(","))
          : v instanceof java.util.List<?> l ? l : null;
      if (items == null || !items.stream().allMatch(i -> i instanceof String)) {
        throw ToolError.type(tool + "(): " + key + " must be a list of strings, not "
            + typeName(v));
      }
      return items.stream().map(i -> ((String) i).strip()).filter(i -> !i.isEmpty()).toList();
    }

    public Double optionalNumber(String key) throws ToolError {
      Object v = values.get(key);
      if (v == null) {
        return null;
      }
      if (v instanceof Number n && !(v instanceof Boolean)) {
        return n.doubleValue();
      }
      throw ToolError.type(tool + "(): " + key + " must be a number, not " + typeName(v));
    }

    private static String typeName(Object v) {
      return switch (v) {
        case null -> "None";
        case String s -> "str";
        case Boolean b -> "bool";
        case Integer i -> "int";
        case Long l -> "int";
        case Number n -> "float";
        case java.util.List<?> l -> "list";
        case Map<?, ?> m -> "dict";
        default -> v.getClass().getSimpleName();
      };
    }
  }
}
