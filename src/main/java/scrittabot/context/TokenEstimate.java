package scrittabot.context;

/**
 * Guesses token counts from character counts, calibrated by the prompt_tokens that the server
 * reports for each prompt. Starts at a ratio typical of English with common tokenizers.
 */
public final class TokenEstimate {
  private static final double INITIAL_TOKENS_PER_CHAR = 0.3;
  private static final double SMOOTHING = 0.5;

  private double tokensPerChar = INITIAL_TOKENS_PER_CHAR;

  public synchronized int tokens(long chars) {
    return (int) Math.ceil(chars * tokensPerChar);
  }

  /** Learns from a prompt of {@code chars} characters that the server counted as {@code tokens}. */
  public synchronized void calibrate(long chars, int tokens) {
    if (chars > 200 && tokens > 0) {
      double measured = (double) tokens / chars;
      tokensPerChar = tokensPerChar * (1 - SMOOTHING) + measured * SMOOTHING;
    }
  }

  /** Takes up a ratio learnt in an earlier run; a ratio out of all reason is ignored. */
  public synchronized void restore(double ratio) {
    if (ratio > 0.01 && ratio < 5) {
      tokensPerChar = ratio;
    }
  }

  public synchronized double tokensPerChar() {
    return tokensPerChar;
  }
}
