package scrittabot.matrix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import scrittabot.Json;

/** The end-to-end harness itself: a real Synapse, two scripted humans talking through it. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SynapseIT {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir
  static Path dir;

  static Synapse synapse;
  static Synapse.Account admin;
  static Human alice;
  static Human bob;
  static Synapse.Account bobAccount;
  static String room;

  @BeforeAll
  static void startServerAndHumans() throws Exception {
    synapse = Synapse.start(dir.resolve("synapse"));
    admin = synapse.register("admin", "admin-pass", true);
    alice = Human.start(synapse, synapse.register("alice", "alice-pass", false));
    bobAccount = synapse.register("bob", "bob-pass", false);
    bob = Human.start(synapse, bobAccount);

    room = alice.createRoom("harness", List.of(bob.userId()), false);
    var invite = bob.await(r -> "invite".equals(r.get("kind")) && room.equals(r.get("room")), WAIT);
    assertEquals(alice.userId(), invite.get("sender"));
    bob.join(room);
    alice.await(r -> "member".equals(r.get("kind")) && bob.userId().equals(r.get("user"))
        && "join".equals(r.get("membership")), WAIT);
  }

  @AfterAll
  static void stopAll() {
    for (AutoCloseable c : new AutoCloseable[] {alice, bob, synapse}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // closing the rest matters more
      }
    }
    assertFalse(synapse != null && synapse.running(), "no Synapse left running");
  }

  @Test
  void aMessageReachesTheOtherHumanWithSenderAndBody() throws Exception {
    String eventId = alice.send(room, "hello bob");
    var seen = bob.await(Human.messageFrom(alice.userId()), WAIT);
    assertEquals(eventId, seen.get("event_id"));
    assertEquals(room, seen.get("room"));
    assertEquals("hello bob", Json.at(seen, "content", "body"));
    assertEquals("m.text", Json.at(seen, "content", "msgtype"));
    assertTrue(seen.get("java_received_ns") instanceof Long);
    // Room version 12: room ids no longer name a server; user ids name "localhost".
    assertTrue(alice.userId().endsWith(":" + synapse.serverName()), alice.userId());
  }

  @Test
  void anUploadedFileDownloadsByteIdentical() throws Exception {
    Path file = dir.resolve("notes.txt");
    byte[] bytes = "line one\nläuft — ünïcödé\n".getBytes(StandardCharsets.UTF_8);
    Files.write(file, bytes);
    String eventId = bob.sendFile(room, file, "text/plain");
    var seen = alice.await(r -> eventId.equals(r.get("event_id")), WAIT);
    assertEquals("m.file", Json.at(seen, "content", "msgtype"));
    assertEquals("notes.txt", Json.at(seen, "content", "body"));
    assertEquals(bytes.length, ((Number) Json.at(seen, "content", "info", "size")).intValue());
    String mxc = (String) Json.at(seen, "content", "url");
    assertTrue(mxc.startsWith("mxc://localhost/"), mxc);
    assertArrayEquals(bytes, alice.download(mxc));
  }

  @Test
  void afterAStopAndRestartMessagesStillGoThrough() throws Exception {
    synapse.stop();
    assertFalse(synapse.running());
    synapse.restart();
    assertTrue(synapse.running());
    String eventId = alice.send(room, "still here");
    var seen = bob.await(r -> eventId.equals(r.get("event_id")), WAIT);
    assertEquals("still here", Json.at(seen, "content", "body"));
  }

  @Test
  void aStricterPerUserRateLimitGivesA429() throws Exception {
    var carol = synapse.register("carol", "carol-pass", false);
    var created = synapse.call("POST", "/_matrix/client/v3/createRoom", carol.accessToken(),
        Map.of("name", "carol's"));
    assertEquals(200, created.statusCode(), created.body());
    String carolRoom = (String) Json.parseObject(created.body()).get("room_id");

    synapse.overrideRateLimit(admin, carol.userId(), 1, 1);
    var statuses = new ArrayList<Integer>();
    HttpResponse<String> limited = null;
    for (int i = 0; i < 5 && limited == null; i++) {
      var response = synapse.call("PUT", "/_matrix/client/v3/rooms/" + Synapse.encode(carolRoom)
          + "/send/m.room.message/burst" + i, carol.accessToken(),
          Map.of("msgtype", "m.text", "body", "burst " + i));
      statuses.add(response.statusCode());
      if (response.statusCode() == 429) {
        limited = response;
      }
    }
    assertTrue(limited != null, "no 429 in a burst of 5 at 1/s, burst 1: " + statuses);
    var error = Json.parseObject(limited.body());
    assertEquals("M_LIMIT_EXCEEDED", error.get("errcode"));
    assertTrue(error.get("retry_after_ms") instanceof Number, limited.body());
    assertTrue(limited.headers().firstValue("Retry-After").isPresent(), "Retry-After header");
  }

  @Test
  void typingReceiptsRawContentAliasesAndImagesAreReported() throws Exception {
    // Typing and a read receipt from bob, sent as the bot would: straight HTTP.
    var typing = synapse.call("PUT", "/_matrix/client/v3/rooms/" + Synapse.encode(room)
        + "/typing/" + Synapse.encode(bob.userId()), bobAccount.accessToken(),
        Map.of("typing", true, "timeout", 5000));
    assertEquals(200, typing.statusCode(), typing.body());
    alice.await(r -> "typing".equals(r.get("kind")) && ((List<?>) r.get("users")).contains(
        bob.userId()), WAIT);
    String read = alice.send(room, "read me");
    bob.await(r -> read.equals(r.get("event_id")), WAIT);
    var receipt = synapse.call("POST", "/_matrix/client/v3/rooms/" + Synapse.encode(room)
        + "/receipt/m.read/" + Synapse.encode(read), bobAccount.accessToken(), Map.of());
    assertEquals(200, receipt.statusCode(), receipt.body());
    alice.await(r -> "receipt".equals(r.get("kind")) && read.equals(r.get("event_id"))
        && bob.userId().equals(r.get("user")), WAIT);

    // Odd and unknown events arrive with their content untouched.
    String reaction = alice.send(room, "m.reaction", Map.of("m.relates_to",
        Map.of("rel_type", "m.annotation", "event_id", read, "key", "👍")));
    var seen = bob.await(r -> reaction.equals(r.get("event_id")), WAIT);
    assertEquals("👍", Json.at(seen, "content", "m.relates_to", "key"));
    // Synapse refuses an m.room.message whose body or msgtype is missing or not a string (400
    // M_UNKNOWN); anything else in it may be malformed.
    String odd = alice.send(room, "m.room.message", Map.of("msgtype", "m.weird", "body", "x",
        "format", 42, "m.relates_to", "not an object"));
    var oddSeen = bob.await(r -> odd.equals(r.get("event_id")), WAIT);
    assertEquals(42, ((Number) Json.at(oddSeen, "content", "format")).intValue());
    assertEquals("not an object", Json.at(oddSeen, "content", "m.relates_to"));
    String custom = alice.send(room, "org.example.thing", Map.of("x", List.of(1, 2)));
    assertEquals("org.example.thing", bob.await(r -> custom.equals(r.get("event_id")), WAIT)
        .get("type"));

    // An aliased room joined by alias; an encrypted room shows its encryption state.
    String aliased = alice.createRoom("aliased", "harness-alias", List.of());
    alice.invite(aliased, bob.userId()); // a private room all the same
    bob.join("#harness-alias:" + synapse.serverName());
    alice.await(r -> "member".equals(r.get("kind")) && aliased.equals(r.get("room"))
        && bob.userId().equals(r.get("user")) && "join".equals(r.get("membership")), WAIT);
    String secret = alice.createRoom("secret", List.of(bob.userId()), true);
    alice.await(r -> secret.equals(r.get("room")) && "m.room.encryption".equals(r.get("type")),
        WAIT);

    // An image carries its size.
    Path png = dir.resolve("dot.png");
    // Only the header matters here: a 3x2 PNG's signature and IHDR chunk.
    Files.write(png, HexFormat.of().parseHex(
        "89504e470d0a1a0a0000000d494844520000000300000002080600000072b6ccb1"));
    String image = bob.sendFile(aliased, png, "image/png");
    var img = alice.await(r -> image.equals(r.get("event_id")), WAIT);
    assertEquals("m.image", Json.at(img, "content", "msgtype"));
    assertEquals(3, ((Number) Json.at(img, "content", "info", "w")).intValue());
    assertEquals(2, ((Number) Json.at(img, "content", "info", "h")).intValue());
    assertEquals("image/png", Json.at(img, "content", "info", "mimetype"));
  }
}
