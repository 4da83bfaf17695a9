package scrittabot.matrix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RoomsTest {
  @Test
  void qualifyCompletesShortAliasesOnly() {
    assertEquals("!abc:example.org", Rooms.qualify("!abc:example.org", "example.org"));
    assertEquals("!abc", Rooms.qualify("!abc", "example.org"));
    assertEquals("#a:other.net", Rooms.qualify("#a:other.net", "example.org"));
    assertEquals("#a:example.org", Rooms.qualify("#a", "example.org"));
    assertEquals("#a:example.org", Rooms.qualify("a", "example.org"));
  }

  @Test
  void allowedUsersAreGlobsAndExactIds() {
    var rooms = new Rooms(List.of("@*:example.org", "@bob:other.net"));
    assertTrue(rooms.hears("!r", "@alice:example.org"));
    assertTrue(rooms.hears("!r", "@bob:other.net"));
    assertFalse(rooms.hears("!r", "@eve:evil.org"));
    assertFalse(rooms.hears("!r", "@eve:example.org.evil.org"), "the glob is anchored");
    assertFalse(rooms.hears("!r", "@eve:notexample.org"));
    assertFalse(rooms.hears("!r", "@bob:otherXnet"), "the dot is literal");
    assertFalse(rooms.hears("!r", "@bobby:other.net"));
  }

  @Test
  void allowedUsersApplyInTheConfiguredRoomsToo() {
    var rooms = new Rooms(List.of("@alice:example.org"));
    rooms.joined("!lobby:example.org", "#lobby:example.org", true);
    assertTrue(rooms.hears("!lobby:example.org", "@alice:example.org"));
    assertFalse(rooms.hears("!lobby:example.org", "@eve:example.org"));
    assertTrue(rooms.hears("!dm:example.org", "@alice:example.org"), "a direct chat");
  }

  @Test
  void withoutAllowedUsersOnlyTheConfiguredRoomsAreHeard() {
    var rooms = new Rooms(null);
    rooms.joined("!lobby:s", "#lobby:s", true);
    rooms.joined("!dm:s", "!dm:s", false);
    assertTrue(rooms.hears("!lobby:s", "@anyone:anywhere"));
    assertFalse(rooms.hears("!dm:s", "@anyone:anywhere"));
    assertFalse(rooms.hears("!unknown:s", "@anyone:anywhere"));
    assertFalse(rooms.hears("!dm:s", "@anyone:anywhere"), "the same answer the second time");
  }

  @Test
  void invitesAreAcceptedToConfiguredRoomsOrFromAllowedUsers() {
    var closed = new Rooms(null);
    closed.joined("!lobby:s", "#lobby:s", true);
    assertTrue(closed.acceptsInvite("!lobby:s", "@stranger:x"));
    assertFalse(closed.acceptsInvite("!dm:s", "@friend:s"));

    var open = new Rooms(List.of("@*:s"));
    assertTrue(open.acceptsInvite("!dm:s", "@friend:s"));
    assertFalse(open.acceptsInvite("!dm:s", "@eve:evil.org"));
  }

  @Test
  void roomsAreNamedByTheirConfiguredAlias() {
    var rooms = new Rooms(null);
    assertNull(rooms.defaultRoom());
    rooms.joined("!dm:s", "!dm:s", false);
    rooms.joined("!lobby:s", "#lobby:s", true);
    rooms.joined("!dev:s", "#dev:s", true);
    assertEquals("#lobby:s", rooms.defaultRoom(), "the first configured room");
    assertEquals("#lobby:s", rooms.name("!lobby:s"));
    assertEquals("!other:s", rooms.name("!other:s"), "an unknown room is named by its id");
    assertEquals("!lobby:s", rooms.id("#lobby:s"));
    assertEquals("!lobby:s", rooms.id("!lobby:s"));
    assertEquals("!dm:s", rooms.id("!dm:s"));
    assertNull(rooms.id("#nowhere:s"));
    assertEquals(Set.of("#lobby:s", "#dev:s", "!dm:s"), rooms.all());

    rooms.left("!dev:s");
    assertNull(rooms.id("#dev:s"));
    assertEquals(Set.of("#lobby:s", "!dm:s"), rooms.all());
  }
}
