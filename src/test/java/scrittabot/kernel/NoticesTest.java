package scrittabot.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import scrittabot.Resources;

class NoticesTest {
  @Test
  void aNoticeIsItsSectionOnOneLineWithItsWordsFilledIn() {
    assertEquals("Your last reply had no ```python code block, so it did nothing. Act with code: "
        + "send_message(...) to talk, sleep() to rest.", Notices.text("no-code"));
    assertEquals("The message in room lobby still has no answer. Reply with send_message(...) "
        + "(people see nothing else).", Notices.text("no-answer-yet", Map.of("room", "lobby")));
  }

  @Test
  void aValueIsInsertedAsItIsNeverFilledInAgain() {
    String error = "HTTP 500: {\"error\": {count}} $1 \\";
    assertEquals("The LLM server refused your last steps (" + error + "), so 2 events were "
        + "dropped; older dialogue was shortened.",
        Notices.text("refused", Map.of("error", error, "count", 2)));
  }

  @Test
  void aMissingNoticeOrValueIsABugSaidPlainly() {
    var e = assertThrows(IllegalArgumentException.class, () -> Notices.text("no-such"));
    assertTrue(e.getMessage().contains("no-such"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Notices.text("no-answer-yet"));
    assertTrue(e.getMessage().contains("{room}"), e.getMessage());
  }

  @Test
  void everyNoticeHasWordsAndTheCommentOnTopIsNotOne() {
    var texts = Notices.parse(Resources.text(Notices.class, "notices.md"));
    assertEquals(13, texts.size(), texts.keySet().toString());
    texts.forEach((name, text) -> {
      assertTrue(text.length() > 20 && !text.contains("\n") && !text.contains("##"), name);
      assertTrue(!text.contains("<!--") && !text.contains("-->"), name);
    });
  }
}
