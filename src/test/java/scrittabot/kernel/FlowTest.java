package scrittabot.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import scrittabot.Json;

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

  @Test
  void theSavedSleepSaysWhySoTheMonitorCanShowIt() {
    var journal = new RamJournal();
    var kernelFlow = new Flow(new RecordingChannel(), journal);
    kernelFlow.sleep(null, "nothing new happened");
    assertEquals("nothing new happened", Json.parseObject(journal.load("sleep")).get("why"));
    kernelFlow.sleep(Duration.ofMinutes(5));
    var saved = Json.parseObject(journal.load("sleep"));
    assertEquals("it called sleep()", saved.get("why"));
    assertTrue(saved.get("until") instanceof String, "and until when");
    var restarted = new Flow(new RecordingChannel(), journal);
    restarted.restore(journal.load("sleep"));
    assertTrue(restarted.sleeping(), "a restart keeps the sleep");
  }
}
