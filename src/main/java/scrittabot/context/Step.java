package scrittabot.context;

import java.util.List;
import scrittabot.llm.ChatMessage;

/**
 * One step of the dialogue as the LLM saw it: the events it was shown (the user turn, exactly as
 * sent) and its reply. The prompt's dialogue is a list of these; after a restart it is read back
 * from the database, so the prompt is the one the bot would have sent without the restart.
 */
public record Step(long number, String shown, String reply) {
  List<ChatMessage> toMessages() {
    return List.of(ChatMessage.user(shown), ChatMessage.assistant(reply));
  }
}
