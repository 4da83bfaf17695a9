package scrittabot.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopFilterTest {
  private final StopFilter filter = new StopFilter(List.of("<message", "<note"));

  /** Feeds the deltas and returns all text passed on, flushed at the end unless stopped. */
  private String feed(String... deltas) {
    var out = new StringBuilder();
    for (String delta : deltas) {
      out.append(filter.accept(delta));
    }
    if (filter.stoppedAt() == null) {
      out.append(filter.flush());
    }
    return out.toString();
  }

  @Test
  void textWithoutStopsPassesUnchanged() {
    assertEquals("Hello there, <b>friend</b> < 3", feed("Hello ", "there, <b>fr", "iend</b> < 3"));
    assertNull(filter.stoppedAt());
  }

  @Test
  void textIsCutBeforeTheStop() {
    assertEquals("Done. ", feed("Done. <message user=\"x\">hi</message>"));
    assertEquals("<message", filter.stoppedAt());
  }

  @Test
  void aStopSplitOneCharacterPerDeltaIsCut() {
    var deltas = "ok <note>x".split("");

    assertEquals("ok ", feed(deltas));
    assertEquals("<note", filter.stoppedAt());
  }

  @Test
  void aPossibleStartOfAStopIsHeldBackThenReleasedWhenItIsNone() {
    assertEquals("", filter.accept("<mess"), "could still become <message");

    String released = filter.accept("y desk, long enough");

    assertTrue(released.startsWith("<messy"), released);
    assertEquals("<messy desk, long enough", released + filter.flush());
    assertNull(filter.stoppedAt());
  }

  @Test
  void theEarliestStopWinsWhicheverIsListedFirst() {
    assertEquals("a ", feed("a <note> b <message"));
    assertEquals("<note", filter.stoppedAt());
  }

  @Test
  void afterAStopFurtherDeltasAndFlushGiveNothing() {
    filter.accept("x<message");

    assertEquals("", filter.accept("more text that would be long enough to release"));
    assertEquals("", filter.flush());
    assertEquals("<message", filter.stoppedAt());
  }

  @Test
  void aStopAtTheVeryStartLeavesNoText() {
    assertEquals("", feed("<note>only a note"));
    assertEquals("<note", filter.stoppedAt());
  }

  @Test
  void withoutStopsNothingIsHeldBack() {
    var none = new StopFilter(List.of());

    assertEquals("<message", none.accept("<message"));
    assertEquals("", none.flush());
  }
}
