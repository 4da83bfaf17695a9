package scrittabot.matrix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scrittabot.kernel.RamJournal;

class SyncStateTest {
  @TempDir
  Path dir;
  Path oldFile;
  RamJournal journal = new RamJournal();

  @BeforeEach
  void setUp() {
    oldFile = dir.resolve("state/matrix-sync.json");
  }

  @Test
  void aFirstStartSyncsFromNowhere() {
    SyncState state = SyncState.load(journal, oldFile);
    assertNull(state.since());
    assertNull(journal.load(SyncState.KEY), "nothing is written before there is something to keep");
  }

  @Test
  void aSendIsKeptUntilTheHomeserverHasIt() {
    SyncState state = SyncState.load(journal, oldFile);
    state.synced("b1");
    state.sending("/rooms/r/send/m.room.message/t1", Map.of("body", "answer"));
    SyncState afterCrash = SyncState.load(journal, oldFile);
    assertEquals("b1", afterCrash.since());
    assertEquals(Map.of("/rooms/r/send/m.room.message/t1", Map.of("body", "answer")),
        afterCrash.unsent(), "the answer goes out again");
    afterCrash.sent("/rooms/r/send/m.room.message/t1");
    assertTrue(SyncState.load(journal, oldFile).unsent().isEmpty());
  }

  @Test
  void theSyncPositionIsSavedAsSoonAsABatchIsQueued() {
    SyncState state = SyncState.load(journal, oldFile);
    state.synced("b1");
    state.synced("b2");
    assertEquals("b2", SyncState.load(journal, oldFile).since());
  }

  @Test
  void anOldStateFileIsImportedOnceWithItsHandledEvents() throws IOException {
    Files.createDirectories(oldFile.getParent());
    Files.writeString(oldFile, """
        {"next_batch": "b7", "handled": ["$a", "$b"], "warned_encrypted": ["!secret:s"],
         "unsent": [{"path": "/send/t1", "body": {"body": "hi"}}]}""");
    SyncState state = SyncState.load(journal, oldFile);
    assertEquals("b7", state.since());
    assertTrue(state.handledBefore("$a"), "handled in the old run: not answered again");
    assertFalse(state.handledBefore("$c"));
    assertFalse(state.firstEncryptedWarning("!secret:s"));
    assertEquals(Map.of("/send/t1", Map.of("body", "hi")), state.unsent());
    assertFalse(Files.exists(oldFile), "renamed, so it is not read again");
    assertTrue(Files.exists(oldFile.resolveSibling("matrix-sync.json.imported")));
    assertEquals("b7", SyncState.load(journal, oldFile).since(), "now kept in the journal");
  }

  @Test
  void aCorruptStateIsAFirstStart() throws IOException {
    Files.createDirectories(oldFile.getParent());
    for (String broken : List.of("{\"next_batch\": \"b1\", ", "", "[1, 2]", "null")) {
      Files.writeString(oldFile, broken);
      assertNull(SyncState.load(new RamJournal(), oldFile).since(), broken);
      journal.save(SyncState.KEY, broken);
      assertNull(SyncState.load(journal, oldFile).since(), broken);
    }
    journal.save(SyncState.KEY, "{\"next_batch\": 7}");
    SyncState state = SyncState.load(journal, oldFile);
    assertNull(state.since());
    state.synced("b9");
    assertEquals("b9", SyncState.load(journal, oldFile).since(), "the broken state is replaced");
  }

  @Test
  void theEncryptionWarningIsSaidOnceEvenAcrossRestarts() {
    SyncState state = SyncState.load(journal, oldFile);
    assertTrue(state.firstEncryptedWarning("!secret:s"));
    assertFalse(state.firstEncryptedWarning("!secret:s"));
    SyncState again = SyncState.load(journal, oldFile);
    assertFalse(again.firstEncryptedWarning("!secret:s"));
    assertTrue(again.firstEncryptedWarning("!other:s"));
    assertNull(again.since(), "the warning alone does not invent a token");
  }
}
