package scrittabot.llm;

/**
 * A finished chat completion. {@code usage} is null when the server did not report it;
 * {@code stoppedAt} names the stop sequence that ended the reply, if any.
 */
public record Completion(String text, Usage usage, String finishReason, String stoppedAt) {

  /** Token counts as the server reported them, and llama.cpp's timings when present (else -1). */
  public record Usage(int promptTokens, int completionTokens, int cachedTokens, double promptMs,
      double predictedMs) {}
}
