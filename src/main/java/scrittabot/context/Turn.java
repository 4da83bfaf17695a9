package scrittabot.context;

import scrittabot.llm.ChatMessage;

/** One turn of the dialogue as the LLM saw it: events (user role) or the agent's reply. */
public record Turn(boolean fromAgent, String text) {
  ChatMessage toMessage() {
    return fromAgent ? ChatMessage.assistant(text) : ChatMessage.user(text);
  }
}
