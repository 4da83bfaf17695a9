package scrittabot.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CodeBlocksTest {

  /** Feeds text in pieces of {@code size} characters, as a stream would deliver it. */
  private static List<String> blocks(String reply, int size) {
    var parser = new CodeBlocks();
    var found = new ArrayList<String>();
    for (int i = 0; i < reply.length(); i += size) {
      found.addAll(parser.feed(reply.substring(i, Math.min(reply.length(), i + size))));
    }
    found.addAll(parser.finish());
    return found;
  }

  @Test
  void blockCompletesAsSoonAsItsFenceCloses() {
    var parser = new CodeBlocks();
    assertEquals(List.of(), parser.feed("Thinking.\n```python\nx = 1\n"));
    assertEquals(List.of("x = 1\n"), parser.feed("```\nmore text"));
    assertEquals(1, parser.found());
  }

  @Test
  void blocksOfOnlyCommentsDoNotAct() {
    var parser = new CodeBlocks();
    parser.feed("```python\n# a thought\n\n   # another\n```\n");
    assertEquals(1, parser.found());
    assertFalse(parser.acts());
    parser.feed("```python\nx = 1  # a statement\n```\n");
    assertTrue(parser.acts());
  }

  @Test
  void acceptsTheVariantsLocalModelsWrite() {
    assertEquals(List.of("a()\n"), blocks("```py\na()\n```\n", 3));
    assertEquals(List.of("a()\n"), blocks("```python3\na()\n```", 1));
    assertEquals(List.of("a()\n"), blocks("```\na()\n```\n", 2));
    assertEquals(List.of("a()\n"), blocks("``` Python \na()\n```\n", 5));
  }

  @Test
  void aFenceAfterAListMarkerOpensABlockButProseMentioningOneDoesNot() {
    // What a 1.5B model wrote, copying a numbered list: the text after the block must not run.
    assertEquals(List.of("send_message('hi')\nsleep()\n"), blocks("1. Think.\n2. ```python\n"
        + "send_message('hi')\nsleep()\n```\n3. End the code with sleep().\n", 5));
    assertEquals(List.of("a()\n"), blocks("- ```python\na()\n```", 3));
    assertEquals(List.of(), blocks("I act in one ```python block.\nsend_message('no')\n", 4));
  }

  @Test
  void lastBlockWithoutClosingFenceStillRuns() {
    assertEquals(List.of("send_message('hi')\n"), blocks("ok\n```python\nsend_message('hi')", 4));
  }

  @Test
  void otherLanguagesAreNotRun() {
    assertEquals(List.of("b()\n"), blocks("```json\n{\"a\": 1}\n```\n```python\nb()\n```\n", 7));
    assertEquals(List.of(), blocks("```bash\nrm -rf /\n```", 3));
  }

  @Test
  void indentedFenceIsDedented() {
    assertEquals(List.of("if x:\n    y()\n"), blocks("1. do:\n   ```python\n   if x:\n       y()\n   ```\n", 4));
  }

  @Test
  void severalBlocksInOrderAndEmptyBlocksSkipped() {
    assertEquals(List.of("a()\n", "b()\n"), blocks("```python\na()\n```\n```python\n```\n```python\nb()\n```", 6));
  }
}
