package scrittabot.tools;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Json;

/**
 * The agent's tools, by name. Produces the Python source that defines them in the sandbox and the
 * tool reference for the prompt, and carries out calls that come back from the sandbox.
 */
public final class ToolSet {
  private static final Logger log = LoggerFactory.getLogger(ToolSet.class);

  private final Map<String, Tool> tools = new LinkedHashMap<>();
  private final Consumer<String> onCall;

  public ToolSet(List<Tool> tools) {
    this(tools, name -> { });
  }

  /** {@code onCall} hears the name of each tool called (for the step's record). */
  public ToolSet(List<Tool> tools, Consumer<String> onCall) {
    this.onCall = onCall;
    for (Tool tool : tools) {
      if (this.tools.put(tool.name(), tool) != null) {
        throw new IllegalArgumentException("two tools named " + tool.name());
      }
    }
  }

  public String pythonSource() {
    return tools.values().stream().map(Tool::pythonSource).collect(Collectors.joining("\n"));
  }

  public String reference() {
    return tools.values().stream().map(Tool::reference).collect(Collectors.joining("\n"));
  }

  /**
   * Carries out a call from the sandbox. Input and output are JSON text: {@code {"value": ...}}
   * or {@code {"error": ..., "type": ...}}. Never throws: a bad call is the agent's mistake.
   */
  public String call(String name, String argsJson) {
    Tool tool = tools.get(name);
    if (tool == null) {
      return error("NameError", "there is no tool named " + name);
    }
    onCall.accept(name);
    try {
      var args = new Tool.Args(name, Json.parseObject(argsJson));
      return Json.write(java.util.Collections.singletonMap("value", tool.body().call(args)));
    } catch (ToolError e) {
      return error(e.pythonType(), e.getMessage());
    } catch (RuntimeException e) {
      log.warn("tool {} failed", name, e);
      return error("RuntimeError", name + " failed inside the bot: " + e.getMessage());
    }
  }

  private static String error(String type, String message) {
    return Json.write(Map.of("error", String.valueOf(message), "type", type));
  }
}
