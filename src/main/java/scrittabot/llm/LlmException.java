package scrittabot.llm;

import java.nio.file.Path;

/**
 * A failed LLM, embedding or rerank request. It carries what a caller needs to act: the HTTP
 * status (0 when there was no response), the server's own message, any text already streamed
 * before the failure, and where the request was dumped for replay.
 */
public final class LlmException extends Exception {
  private final int status;
  private final String partialText;
  private final Path dump;

  public LlmException(String message, int status, String partialText, Path dump, Throwable cause) {
    super(message + (dump == null ? "" : " (request dumped to " + dump + ")"), cause);
    this.status = status;
    this.partialText = partialText == null ? "" : partialText;
    this.dump = dump;
  }

  public int status() {
    return status;
  }

  /** Text the stream delivered before it failed; the caller may already have acted on it. */
  public String partialText() {
    return partialText;
  }

  public Path dump() {
    return dump;
  }
}
