package scrittabot.tools;

/**
 * A tool refused its arguments or failed; raised in Python as the named exception type, with a
 * message written for the LLM: what was wrong and what to do instead.
 */
public final class ToolError extends Exception {
  private final String pythonType;

  public ToolError(String pythonType, String message) {
    super(message);
    this.pythonType = pythonType;
  }

  public static ToolError type(String message) {
    return new ToolError("TypeError", message);
  }

  public static ToolError value(String message) {
    return new ToolError("ValueError", message);
  }

  public String pythonType() {
    return pythonType;
  }
}
