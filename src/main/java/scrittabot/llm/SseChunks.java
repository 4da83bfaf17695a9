package scrittabot.llm;

import java.util.function.Consumer;
import scrittabot.Json;

/**
 * Parses the server-sent events of a streamed chat completion: {@code data:} lines holding JSON
 * chunks, ended by {@code data: [DONE]}. Keeps the usage and finish reason that arrive at the end.
 */
final class SseChunks {
  private static final int RAW_TAIL = 4000;

  /** The stream broke the protocol or ended early. */
  static final class StreamError extends Exception {
    StreamError(String message) {
      super(message);
    }
  }

  private Completion.Usage usage;
  private String finishReason;
  private boolean done;
  private final StringBuilder rawTail = new StringBuilder();

  /** Handles one line; returns true when the stream says it is done. */
  boolean accept(String line, Consumer<String> onContent) throws StreamError {
    remember(line);
    if (line.isEmpty() || line.startsWith(":") || line.startsWith("event:")
        || line.startsWith("id:") || line.startsWith("retry:")) {
      return false;
    }
    if (line.startsWith("error:")) { // llama.cpp reports a failure mid-stream this way
      throw new StreamError("the server reported an error: " + line.substring(6).strip());
    }
    if (!line.startsWith("data:")) {
      throw new StreamError("not a server-sent event line: " + Json.abbreviate(line, 200));
    }
    String data = line.substring(5).strip();
    if (data.equals("[DONE]")) {
      done = true;
      return true;
    }
    Object chunk;
    try {
      chunk = Json.parse(data);
    } catch (IllegalArgumentException e) {
      throw new StreamError("a chunk is not JSON: " + Json.abbreviate(data, 200));
    }
    if (Json.at(chunk, "error") != null) {
      Object message = Json.at(chunk, "error", "message");
      throw new StreamError("the server reported an error: "
          + (message != null ? message : Json.at(chunk, "error")));
    }
    if (Json.at(chunk, "choices", 0, "delta", "content") instanceof String content) {
      onContent.accept(content);
    }
    if (Json.at(chunk, "choices", 0, "finish_reason") instanceof String reason) {
      finishReason = reason;
    }
    Completion.Usage u = usage(chunk);
    if (u != null) {
      usage = u;
    }
    return false;
  }

  /** After the last line: a stream that ended with neither [DONE] nor a finish reason was cut. */
  void checkComplete() throws StreamError {
    if (!done && finishReason == null) {
      throw new StreamError("the stream ended in the middle of the reply");
    }
  }

  Completion.Usage usage() {
    return usage;
  }

  String finishReason() {
    return finishReason;
  }

  String rawTail() {
    return rawTail.toString();
  }

  private void remember(String line) {
    rawTail.append(line).append('\n');
    if (rawTail.length() > RAW_TAIL) {
      rawTail.delete(0, rawTail.length() - RAW_TAIL);
    }
  }

  /** Usage and llama.cpp timings from a chunk or a whole answer; null when absent. */
  static Completion.Usage usage(Object root) {
    if (!(Json.at(root, "usage", "prompt_tokens") instanceof Number prompt)) {
      return null;
    }
    return new Completion.Usage(prompt.intValue(),
        number(Json.at(root, "usage", "completion_tokens")),
        cached(root),
        Json.at(root, "timings", "prompt_ms") instanceof Number n ? n.doubleValue() : -1,
        Json.at(root, "timings", "predicted_ms") instanceof Number n ? n.doubleValue() : -1);
  }

  private static int cached(Object root) {
    if (Json.at(root, "usage", "prompt_tokens_details", "cached_tokens") instanceof Number n) {
      return n.intValue();
    }
    return number(Json.at(root, "timings", "cache_n"));
  }

  private static int number(Object value) {
    return value instanceof Number n ? n.intValue() : -1;
  }
}
