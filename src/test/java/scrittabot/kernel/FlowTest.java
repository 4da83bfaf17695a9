package scrittabot.kernel;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FlowTest {
  private final Flow flow = new Flow(new RecordingChannel(), new RamJournal());

  @Test
  void aLongOldAnswerToANewQuestionIsARepeatAShortOneIsNot() {
    String old = "The word 'scritta' backwards is 'attircs'.";
    flow.messageFrom("lobby", 1, "Write scritta backwards");
    flow.sent("lobby", old);
    flow.sent("lobby", "42");
    flow.messageFrom("lobby", 2, "Tell me three facts about octopuses");
    assertFalse(flow.repeats("lobby", old), "not since the room's last message");
    assertTrue(flow.repeatsOld("lobby", old + "\n"), "but among the last messages sent there");
    assertFalse(flow.repeatsOld("lobby", "42"), "a short answer may come twice");
    assertFalse(flow.repeatsOld("kitchen", old), "another room");
    for (int i = 0; i < 20; i++) {
      flow.sent("lobby", "Another answer, long enough to count, number " + i);
    }
    assertFalse(flow.repeatsOld("lobby", old), "only the last twenty are kept");
  }
}
