package scrittabot.context;

/**
 * One step of the dialogue as the LLM saw it: the events it was shown (the user turn, exactly as
 * sent) and its reply. The prompt's dialogue is a list of these; after a restart it is read back
 * from the database, so the prompt is the one the bot would have sent without the restart.
 *
 * <p>An empty reply is one left out of the dialogue: it did nothing (no code, or only comments),
 * and a small model copies what it finds in its dialogue, step after step. Its events stay.
 */
public record Step(long number, String shown, String reply) {
  public boolean replyLeftOut() {
    return reply.isEmpty();
  }

  /** The step as the dialogue keeps it when its reply did nothing. */
  public Step leavingOutReply() {
    return new Step(number, shown, "");
  }
}
