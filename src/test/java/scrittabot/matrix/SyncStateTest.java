package scrittabot.matrix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyncStateTest {
  @TempDir
  Path dir;
  Path file;

  @BeforeEach
  void setUp() {
    file = dir.resolve("state/matrix-sync.json");
  }

  @Test
  void aFirstStartSyncsFromNowhere() {
    SyncState state = SyncState.load(file);
    assertNull(state.since());
    assertFalse(state.wasHandled("$e"));
    assertFalse(Files.exists(file), "nothing is written before there is something to keep");
  }

  @Test
  void aSendIsKeptUntilSentAndMarksWhatItAnswersAsHandledInTheSameWrite() {
    SyncState state = SyncState.load(file);
    state.queued("b1", Set.of("$q"));
    state.sending("/rooms/r/send/m.room.message/t1", java.util.Map.of("body", "answer"),
        List.of("$q"));
    SyncState afterCrash = SyncState.load(file);
    assertEquals("b1", afterCrash.since(), "the question counts as answered");
    assertTrue(afterCrash.wasHandled("$q"));
    assertEquals(java.util.Map.of("/rooms/r/send/m.room.message/t1",
        java.util.Map.of("body", "answer")), afterCrash.unsent(), "the answer goes out again");
    afterCrash.sent("/rooms/r/send/m.room.message/t1");
    assertTrue(SyncState.load(file).unsent().isEmpty());
  }

  @Test
  void aBatchWithoutEventsIsSavedAtOnce() {
    SyncState state = SyncState.load(file);
    state.queued("b1", Set.of());
    assertEquals("b1", state.since());
    assertEquals("b1", saved());
  }

  @Test
  void aBatchWithEventsIsSavedOnlyOnceTheyAreHandled() {
    SyncState state = SyncState.load(file);
    state.queued("b1", Set.of());
    state.queued("b2", Set.of("$a", "$b"));
    assertEquals("b2", state.since(), "the next sync goes on from the newest batch");
    assertEquals("b1", saved());
    state.handled(List.of("$a"));
    assertEquals("b1", saved(), "$b is not handled yet");
    state.handled(List.of("$b"));
    assertEquals("b2", saved());
  }

  @Test
  void batchesHandledOutOfOrderAreSavedWhenTheOldestIsDone() {
    SyncState state = SyncState.load(file);
    state.queued("b1", Set.of("$a"));
    state.queued("b2", Set.of("$b"));
    state.queued("b3", Set.of());
    state.handled(List.of("$b"));
    assertNull(saved(), "b1 still waits for $a");
    state.handled(List.of("$a"));
    assertEquals("b3", saved(), "all three batches are done");
  }

  /**
   * The sync loop puts events into the kernel's queue before it calls queued(); the kernel may
   * handle one meanwhile (a later file in the same answer can take minutes to download).
   */
  @Test
  void anEventHandledBeforeItsBatchIsQueuedDoesNotHoldTheTokenBack() {
    SyncState state = SyncState.load(file);
    state.handled(List.of("$fast"));
    state.queued("b1", Set.of("$fast"));
    state.queued("b2", Set.of());
    assertEquals("b2", saved());
  }

  @Test
  void aReloadKnowsTheTokenAndTheHandledEvents() {
    SyncState state = SyncState.load(file);
    state.queued("b1", Set.of("$a", "$b"));
    state.handled(List.of("$a", "$b"));
    SyncState again = SyncState.load(file);
    assertEquals("b1", again.since());
    assertTrue(again.wasHandled("$a"));
    assertTrue(again.wasHandled("$b"));
    assertFalse(again.wasHandled("$c"));
  }

  @Test
  void onlyTheLatestThousandHandledIdsAreKept() {
    SyncState state = SyncState.load(file);
    var ids = new java.util.ArrayList<String>();
    for (int i = 0; i <= 1000; i++) {
      ids.add("$" + i);
    }
    state.queued("b1", Set.copyOf(ids));
    state.handled(ids);
    SyncState again = SyncState.load(file);
    assertFalse(again.wasHandled("$0"));
    assertTrue(again.wasHandled("$1"));
    assertTrue(again.wasHandled("$1000"));
  }

  @Test
  void aCorruptFileIsAFirstStart() throws IOException {
    Files.createDirectories(file.getParent());
    for (String broken : List.of("{\"next_batch\": \"b1\", ", "", "[1, 2]", "null",
        "{\"next_batch\": 7, \"handled\": \"$a\"}")) {
      Files.writeString(file, broken);
      SyncState state = SyncState.load(file);
      assertNull(state.since(), broken);
      assertFalse(state.wasHandled("$a"), broken);
    }
    Files.write(file, new byte[] {(byte) 0xFF, (byte) 0xFE, 0, 1});
    SyncState state = SyncState.load(file);
    assertNull(state.since());
    state.queued("b9", Set.of());
    assertEquals("b9", saved(), "the broken file is replaced");
  }

  @Test
  void theEncryptionWarningIsSaidOnceEvenAcrossRestarts() {
    SyncState state = SyncState.load(file);
    assertTrue(state.firstEncryptedWarning("!secret:s"));
    assertFalse(state.firstEncryptedWarning("!secret:s"));
    SyncState again = SyncState.load(file);
    assertFalse(again.firstEncryptedWarning("!secret:s"));
    assertTrue(again.firstEncryptedWarning("!other:s"));
    assertNull(again.since(), "the warning alone does not invent a token");
  }

  private String saved() {
    return SyncState.load(file).since();
  }
}
