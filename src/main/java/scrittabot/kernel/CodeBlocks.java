package scrittabot.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Finds Python code blocks in a reply while it streams in, so that each block can run the moment
 * its closing fence arrives. Accepts what local models write: {@code ```python}, {@code ```py},
 * {@code ```python3}, a fence with no language, indented fences, a fence after a list marker,
 * and a last block whose closing fence is missing. Blocks fenced with another language (json, text, bash) are not run.
 */
public final class CodeBlocks {
  /** A fence, perhaps after a list marker: small models copy a numbered list ("2. ```python"). */
  private static final Pattern OPEN =
      Pattern.compile("\\s*(?:(?:[-*]|\\d{1,2}[.)])\\s*)?```\\s*([A-Za-z0-9_+-]*)\\s*");
  private static final Pattern CLOSE = Pattern.compile("\\s*```\\s*");
  private static final List<String> PYTHON = List.of("", "python", "py", "python3");

  private final StringBuilder partialLine = new StringBuilder();
  private StringBuilder block;
  private boolean runnable;
  private int indent;
  private int found;
  private final StringBuilder code = new StringBuilder();

  /** Takes streamed text; returns the blocks completed by it, in order. */
  public List<String> feed(String text) {
    var done = new ArrayList<String>();
    partialLine.append(text);
    int newline;
    while ((newline = partialLine.indexOf("\n")) >= 0) {
      String line = partialLine.substring(0, newline);
      partialLine.delete(0, newline + 1);
      String finished = line(line);
      if (finished != null) {
        done.add(finished);
      }
    }
    return done;
  }

  /** At the end of the reply: a block left open (no closing fence) counts if it is Python. */
  public List<String> finish() {
    var done = new ArrayList<String>();
    if (!partialLine.isEmpty()) {
      String finished = line(partialLine.toString());
      partialLine.setLength(0);
      if (finished != null) {
        done.add(finished);
      }
    }
    if (block != null && runnable && !block.toString().isBlank()) {
      done.add(block.toString());
      code.append(block);
      found++;
    }
    block = null;
    return done;
  }

  /** Forgets everything fed so far: for a reply that is asked for again. */
  public void reset() {
    partialLine.setLength(0);
    block = null;
    runnable = false;
    indent = 0;
    found = 0;
    code.setLength(0);
  }

  /** The code of the runnable blocks so far, joined. */
  public String code() {
    return code.toString();
  }

  /**
   * Whether the blocks so far hold a statement, not only comments and blank lines: a small model
   * stuck in a rut writes blocks of comments that do nothing, step after step.
   */
  public boolean acts() {
    return code.toString().lines().map(String::strip)
        .anyMatch(l -> !l.isEmpty() && !l.startsWith("#"));
  }

  /** How many runnable blocks the reply had so far. */
  public int found() {
    return found;
  }

  private String line(String line) {
    if (block == null) {
      var open = OPEN.matcher(line);
      if (open.matches()) {
        block = new StringBuilder();
        runnable = PYTHON.contains(open.group(1).toLowerCase());
        indent = line.length() - line.stripLeading().length();
      }
      return null;
    }
    if (CLOSE.matcher(line).matches()) {
      String code = block.toString();
      block = null;
      if (runnable && !code.isBlank()) {
        found++;
        this.code.append(code);
        return code;
      }
      return null;
    }
    block.append(dedent(line)).append('\n');
    return null;
  }

  /** Removes the fence's own indentation (a block inside a list item) from a code line. */
  private String dedent(String line) {
    int strip = 0;
    while (strip < indent && strip < line.length() && Character.isWhitespace(line.charAt(strip))) {
      strip++;
    }
    return line.substring(strip);
  }
}
