package scrittabot.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import scrittabot.Json;
import scrittabot.kernel.AgentState;
import scrittabot.kernel.RecordingChannel;
import scrittabot.kernel.Flow;
import scrittabot.library.Library;

class CoreToolsTest {
  private final RecordingChannel channel = new RecordingChannel();
  private final AgentState state = new AgentState(json -> { });
  private final ToolSet tools = new ToolSet(new CoreTools(channel, state,
      new Flow(channel, new scrittabot.kernel.RamJournal()), Library.offline(Path.of("files")))
      .all());

  private Map<String, Object> call(String tool, String args) {
    return Json.parseObject(tools.call(tool, args));
  }

  @Test
  void sendMessageGoesToTheDefaultRoomOrTheNamedOne() {
    assertEquals(java.util.Collections.singletonMap("value", null),
        call("send_message", "{\"message\": \"hi\", \"room\": null}"));
    call("send_message", "{\"message\": \"yo\", \"room\": \"kitchen\"}");
    assertEquals(List.of("lobby: hi", "kitchen: yo"), channel.sent());
  }

  @Test
  void wrongArgumentsBecomePythonErrorsWordedForTheLlm() {
    var reply = call("send_message", "{\"message\": 5, \"room\": null}");
    assertEquals("TypeError", reply.get("type"));
    assertTrue(reply.get("error").toString().contains("message must be a string, not int"));
    assertEquals("NameError", call("fly", "{}").get("type"));
    assertEquals("ValueError", call("increase_mood", "{\"mood_name\": \"bored\"}").get("type"));
    assertEquals("ValueError", call("delete_goal", "{\"goal_index\": 3}").get("type"));
    assertEquals("ValueError", call("sleep", "{\"min_time\": 2e8}").get("type"));
    assertEquals("ValueError", call("sleep", "{\"min_time\": -1}").get("type"));
    assertTrue(channel.sent().isEmpty());
  }

  @Test
  void goalsAndMoodsChangeTheStateBlock() {
    assertEquals(1, ((Number) call("add_goal", "{\"goal_description\": \"learn chess\"}")
        .get("value")).intValue());
    call("add_goal", "{\"goal_description\": \"read\"}");
    call("delete_goal", "{\"goal_index\": 1}");
    call("increase_mood", "{\"mood_name\": \"Happy\"}");
    assertEquals("Mood: happy 1/10\nGoals:\n1. read\n", state.render());
  }

  @Test
  void setPageKeepsTheCornerWithTheStateButOutOfThePrompt() {
    var saved = new java.util.ArrayList<String>();
    var kept = new AgentState(saved::add);
    var set = new ToolSet(new CoreTools(channel, kept, new Flow(channel,
        new scrittabot.kernel.RamJournal()), Library.offline(Path.of("files"))).all());
    set.call("set_page", "{\"markdown\": \"**Working on**: the plan\"}");
    assertEquals("**Working on**: the plan", Json.parseObject(saved.getLast()).get("page"));
    assertFalse(kept.render().contains("Working on"), "the corner is for people, not the prompt");
    var restored = new AgentState(json -> { });
    restored.restore(saved.getLast());
    restored.setPage(restored.page() + "!");
    assertEquals("**Working on**: the plan!", restored.page(), "taken up after a restart");
    assertEquals("ValueError", Json.parseObject(set.call("set_page", "{\"markdown\": \""
        + "x".repeat(AgentState.MAX_PAGE_CHARS + 1) + "\"}")).get("type"));
    assertTrue(channel.sent().isEmpty(), "nothing goes to a room");
  }

  @Test
  void pythonSourceHasRealSignaturesAndDocstrings() {
    String source = tools.pythonSource();
    assertTrue(source.contains("def send_message(message, room=None):"));
    assertTrue(source.contains("def sleep(min_time=None):"));
    assertTrue(source.contains("Example: send_message(\\\"TEXT\\\")"), "the docstring is whole");
    // The prompt's reference is one line a tool: the first sentence; help() has the rest.
    String reference = tools.reference();
    assertTrue(reference.startsWith("- send_message(message, room=None): Send a message to the "
        + "people in a room; the only way anyone sees what you say.\n- send_file("), reference);
    assertEquals(tools.pythonSource().split("\ndef ").length, reference.lines().count());
  }

  @Test
  void theSameMessageIsNotSentTwiceToARoomUntilSomeoneWritesAgain() {
    var flow = new Flow(channel, new scrittabot.kernel.RamJournal());
    var set = new ToolSet(new CoreTools(channel, state, flow, Library.offline(Path.of("files")))
        .all());
    assertFalse(Json.parseObject(set.call("send_message", "{\"message\": \"42\"}"))
        .containsKey("error"));
    var again = Json.parseObject(set.call("send_message", "{\"message\": \" 42\\n\"}"));
    assertEquals("ValueError", again.get("type"));
    assertTrue(again.get("error").toString().contains("already sent this same message"));
    assertFalse(Json.parseObject(set.call("send_message",
        "{\"message\": \"42\", \"room\": \"kitchen\"}")).containsKey("error"), "another room");
    assertEquals(List.of("lobby: 42", "kitchen: 42"), channel.sent());
  }
}
