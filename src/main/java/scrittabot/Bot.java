package scrittabot;

import scrittabot.context.Prompt;
import scrittabot.context.TokenEstimate;
import scrittabot.kernel.AgentState;
import scrittabot.kernel.Channel;
import scrittabot.kernel.EventQueue;
import scrittabot.kernel.Flow;
import scrittabot.kernel.Kernel;
import scrittabot.llm.LlmClient;
import scrittabot.sandbox.Sandbox;
import scrittabot.tools.CoreTools;
import scrittabot.tools.ToolSet;

/** Wires the parts of one bot together; a newcomer reads here what talks to what. */
public final class Bot implements AutoCloseable {
  private final LlmClient llm;
  private final Sandbox sandbox;
  private final Kernel kernel;
  private final Prompt prompt;

  public Bot(Config config, EventQueue queue, Channel channel) {
    this(config, queue, channel, new LlmClient(config));
  }

  public Bot(Config config, EventQueue queue, Channel channel, LlmClient llm) {
    var state = new AgentState();
    var flow = new Flow(channel);
    var tools = new ToolSet(new CoreTools(channel, state, flow, config.filesDir()).all());
    this.llm = llm;
    this.sandbox = new Sandbox(new Sandbox.Settings(config.filesDir(), config.sandboxTimeLimit(),
        config.sandboxMemory(), config.sandboxJit()), tools);
    var estimate = new TokenEstimate();
    this.prompt = new Prompt(tools.reference(), config.contextLlm(), estimate);
    prompt.checkFits();
    this.kernel = new Kernel(queue, llm, sandbox, prompt, state, flow, estimate,
        config.maxLlmCallsPerHour());
  }

  /** Starts the sandbox in the background and runs the kernel until it stops. */
  public String run() {
    sandbox.start();
    return kernel.run();
  }

  public void stop(String reason) {
    kernel.stop(reason);
  }

  public Sandbox sandbox() {
    return sandbox;
  }

  public Prompt prompt() {
    return prompt;
  }

  @Override
  public void close() {
    llm.close();
    sandbox.close();
  }
}
