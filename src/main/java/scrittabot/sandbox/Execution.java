package scrittabot.sandbox;

/**
 * The outcome of one code block.
 *
 * @param output what the code printed (bounded)
 * @param error a short traceback for the LLM, or null when the code ran through
 * @param reset why the Python state was lost (time limit, memory, crash), or null when it was kept
 */
public record Execution(String output, String error, String reset) {
  public boolean ok() {
    return error == null;
  }
}
