package scrittabot.context;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import scrittabot.llm.ChatMessage;

class PromptTest {

  @Test
  void orderIsSystemThenDialogueThenEventsThenStateAndAReminder() {
    var prompt = new Prompt("send_message(message)", 8000, new TokenEstimate());
    prompt.record(new Step(1, "<message>hi</message>", "```python\nsend_message('hello')\n```"));
    List<ChatMessage> messages = prompt.build("STATE", "EVENTS");
    assertEquals(4, messages.size());
    assertEquals(ChatMessage.Role.SYSTEM, messages.get(0).role());
    assertTrue(messages.get(0).text().contains("send_message(message)"));
    assertEquals(ChatMessage.Role.USER, messages.get(1).role());
    assertEquals(ChatMessage.Role.ASSISTANT, messages.get(2).role());
    assertTrue(messages.get(3).text().startsWith("EVENTS\nSTATE\n"));
    assertTrue(messages.get(3).text().endsWith("```python block; people see only "
        + "send_message()."), "the last line reminds of the format");
  }

  @Test
  void whatTheDialogueKeepsOfAStepIsAPrefixOfWhatWasSent() {
    // The server's prefix cache holds the last prompt: the next one may only add after it.
    var prompt = new Prompt("send_message(message)", 8000, new TokenEstimate());
    List<ChatMessage> first = prompt.build("<system>recalled</system>", "<message>hi</message>");
    prompt.record(new Step(1, "<message>hi</message>", "REPLY"));
    List<ChatMessage> second = prompt.build("<system>other</system>", "<python>ok</python>");
    assertEquals(first.get(0), second.get(0));
    assertTrue(first.get(1).text().startsWith(second.get(1).text()));
    assertEquals("REPLY", second.get(2).text());
  }

  @Test
  void aReplyLeftOutLendsItsEventsToTheNextUserTurnAndTheCacheStillHolds() {
    var prompt = new Prompt("send_message(message)", 8000, new TokenEstimate());
    prompt.record(new Step(1, "<message>hi</message>", "OK"));
    List<ChatMessage> sent = prompt.build("<system>state</system>", "<message>hello?</message>");
    prompt.record(new Step(2, "<message>hello?</message>", "I am musing.").leavingOutReply());
    List<ChatMessage> next = prompt.build("<system>state 2</system>", "<system>act</system>");
    assertEquals(4, next.size(), "user and assistant alternate: " + next);
    assertEquals(ChatMessage.Role.USER, next.get(3).role());
    assertTrue(next.get(3).text().startsWith("<message>hello?</message>\n<system>act</system>"),
        next.get(3).text());
    assertFalse(next.toString().contains("musing"));
    assertTrue(sent.get(3).text().startsWith("<message>hello?</message>\n"),
        "what was sent is a prefix of what comes next");
    prompt.record(new Step(3, "<system>act</system>", "```python\nsleep()\n```"));
    List<ChatMessage> third = prompt.build("S", "E");
    assertEquals(6, third.size());
    assertEquals("<message>hello?</message>\n<system>act</system>", third.get(3).text());
  }

  @Test
  void dialogueShrinksByALargeBlockOfOldestTurnsAndKeepsAlternation() {
    var prompt = new Prompt("t()", 6000, new TokenEstimate());
    for (int i = 0; i < 200; i++) {
      prompt.record(new Step(i + 1, "event " + i + " " + "x".repeat(200),
          "reply " + i + " " + "y".repeat(200)));
    }
    List<ChatMessage> messages = prompt.build("S", "E");
    int dropped = prompt.droppedTurns();
    assertTrue(dropped > 200, "a large block goes at once, dropped " + dropped);
    assertEquals(0, dropped % 2);
    assertEquals(ChatMessage.Role.USER, messages.get(1).role());
    // The next steps reuse the shrunk dialogue: no further drop until it fills up again.
    prompt.record(new Step(201, "E", "R"));
    prompt.build("S", "E2");
    assertEquals(dropped, prompt.droppedTurns());
    long chars = messages.stream().mapToLong(m -> m.text().length()).sum();
    assertTrue(new TokenEstimate().tokens(chars) <= 6000 - prompt.replyTokens());
  }

  @Test
  void hugeEventsAreCutInTheMiddle() {
    var prompt = new Prompt("t()", 4000, new TokenEstimate());
    String huge = "START" + "z".repeat(100_000) + "END";
    String last = prompt.build("S", prompt.fit(huge)).getLast().text();
    assertTrue(last.startsWith("START") && last.contains("END\nS\n"));
    assertTrue(last.contains("characters cut to fit the context"));
    assertTrue(last.length() < 10_000);
  }

  @Test
  void aHugeEventIsRecordedAsTheAgentSawItAndDoesNotWipeTheDialogue() {
    var prompt = new Prompt("t()", 8000, new TokenEstimate());
    for (int i = 0; i < 6; i++) {
      prompt.record(new Step(i + 1, "event " + i, "reply " + i));
    }
    String huge = prompt.fit("z".repeat(20_000));
    String seen = prompt.build("S", huge).getLast().text();
    prompt.record(new Step(7, huge, "ok"));
    List<ChatMessage> next = prompt.build("S", "E");
    assertEquals(0, prompt.droppedTurns(), "nothing had to go");
    assertTrue(seen.startsWith(next.get(next.size() - 3).text() + "\nS\n"));
  }

  @Test
  void aBurstIsShownAsFarAsItFitsAndTheRestWaits() {
    var prompt = new Prompt("t()", 4000, new TokenEstimate());
    var burst = java.util.stream.IntStream.range(0, 1000)
        .mapToObj(i -> "<message>message number " + i + "</message>").toList();
    int fit = prompt.fitting(burst);
    assertTrue(fit > 10 && fit < 1000, "a part fits: " + fit);
    assertEquals(fit, prompt.fit(String.join("\n", burst.subList(0, fit))).split("\n").length,
        "what fits is not cut");
    assertEquals(1, prompt.fitting(List.of("z".repeat(100_000), "next")),
        "one huge event still makes a step (cut in the middle)");
  }

  @Test
  void theWindowStartMovesWithAShrinkAndComesBackWithARestore() {
    var prompt = new Prompt("t()", 6000, new TokenEstimate());
    for (int i = 1; i <= 200; i++) {
      prompt.record(new Step(i, "event " + i + " " + "x".repeat(200), "reply " + i));
    }
    prompt.build("S", "E");
    long start = prompt.windowStart();
    assertTrue(start > 1, "the oldest steps left the window");
    var again = new Prompt("t()", 6000, new TokenEstimate());
    var kept = new java.util.ArrayList<Step>();
    for (long i = start; i <= 200; i++) {
      kept.add(new Step(i, "event " + i + " " + "x".repeat(200), "reply " + i));
    }
    again.restore(start, kept);
    assertEquals(prompt.build("S", "E2"), again.build("S", "E2"), "the same prompt after a restart");
  }

  @Test
  void aContextTooSmallForTheSystemPromptIsRefusedAtStart() {
    var e = assertThrows(IllegalStateException.class,
        () -> new Prompt("t()", 500, new TokenEstimate()).checkFits());
    assertTrue(e.getMessage().contains("context_llm 500"));
  }

  @Test
  void estimateLearnsFromTheServersCount() {
    var estimate = new TokenEstimate();
    for (int i = 0; i < 10; i++) {
      estimate.calibrate(10_000, 5_000);
    }
    assertEquals(5_000, estimate.tokens(10_000), 50);
  }
}
