package scrittabot.library;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * fetch_url's safety: only public addresses, checked after DNS and on every redirect, bounded
 * in size and time. A loopback server stands for the internet, through the test-only allowance.
 */
class WebFetchTest {
  private static final Duration TIME = Duration.ofSeconds(2);
  private HttpServer server;
  private String base;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/page", x -> answer(x, 200, "text/html; charset=utf-8",
        "<html><title>T</title><p>Hyvää päivää</p></html>"));
    server.createContext("/to-private", x -> {
      x.getResponseHeaders().add("Location", "http://10.0.0.1/secret");
      x.sendResponseHeaders(302, -1);
      x.close();
    });
    server.createContext("/to-page", x -> {
      x.getResponseHeaders().add("Location", "/page");
      x.sendResponseHeaders(301, -1);
      x.close();
    });
    server.createContext("/loop", x -> {
      x.getResponseHeaders().add("Location", "/loop");
      x.sendResponseHeaders(302, -1);
      x.close();
    });
    server.createContext("/huge", x -> {
      x.getResponseHeaders().add("Content-Type", "text/plain");
      x.sendResponseHeaders(200, 1_000_000_000L); // a gigabyte announced
      try {
        OutputStream out = x.getResponseBody();
        out.write(new byte[1024]);
        out.flush();
        Thread.sleep(3000); // the rest never comes; the client must not wait for it
      } catch (IOException | InterruptedException e) {
        // the client went away, as it should
      }
      x.close();
    });
    server.createContext("/endless", x -> {
      x.getResponseHeaders().add("Content-Type", "text/plain");
      x.sendResponseHeaders(200, 0); // chunked, and never ends
      try (OutputStream out = x.getResponseBody()) {
        while (true) {
          out.write(new byte[8192]);
        }
      } catch (IOException e) {
        // the client went away, as it should
      }
    });
    server.createContext("/missing", x -> answer(x, 404, "text/plain", "no"));
    server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private static void answer(com.sun.net.httpserver.HttpExchange x, int status, String type,
      String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().add("Content-Type", type);
    x.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = x.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static WebFetch web(boolean loopback) {
    return new WebFetch(List.of(), loopback, TIME, 1 << 20);
  }

  @Test
  void aPublicPageIsFetchedAndARedirectFollowed() throws Exception {
    var page = web(true).fetch(base + "/to-page");
    assertEquals(base + "/page", page.url().toString());
    assertEquals("text/html; charset=utf-8", page.contentType());
    assertEquals("<html><title>T</title><p>Hyvää päivää</p></html>",
        new String(page.body(), StandardCharsets.UTF_8));
  }

  @Test
  void privateAndLocalAddressesAreRefusedBeforeAnyConnection() {
    for (String url : List.of(base + "/page", "http://10.0.0.1/", "http://169.254.169.254/"
        + "latest/meta-data/", "http://[::1]:8080/", "http://localhost/", "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/", "http://[fd00:ec2::254]/", "http://100.64.1.1/",
        "http://192.168.1.1/")) {
      var refused = assertThrows(Library.Refused.class, () -> web(false).fetch(url), url);
      assertTrue(refused.getMessage().contains("not a public address"), refused.getMessage());
    }
  }

  @Test
  void aRedirectToAPrivateAddressIsRefused() {
    var refused = assertThrows(Library.Refused.class,
        () -> web(true).fetch(base + "/to-private"));
    assertTrue(refused.getMessage().contains("10.0.0.1, which is not a public address"),
        refused.getMessage());
  }

  @Test
  void otherSchemesUserNamesAndEndlessRedirectsAreRefused() {
    for (String url : List.of("file:///etc/passwd", "ftp://example.org/", "gopher://x/",
        "http://user:pw@example.org/", "not a url at all")) {
      assertThrows(Library.Refused.class, () -> web(true).fetch(url), url);
    }
    var loop = assertThrows(Library.Refused.class, () -> web(true).fetch(base + "/loop"));
    assertTrue(loop.getMessage().contains("redirects more than"), loop.getMessage());
    var missing = assertThrows(Library.Refused.class, () -> web(true).fetch(base + "/missing"));
    assertEquals("the server answered 404", missing.getMessage());
  }

  @Test
  void aHugeOrEndlessBodyIsCutOff() {
    var huge = assertThrows(Library.Refused.class, () -> web(true).fetch(base + "/huge"));
    assertTrue(huge.getMessage().startsWith("it is larger than"), huge.getMessage());
    long start = System.nanoTime();
    var endless = assertThrows(Library.Refused.class, () -> web(true).fetch(base + "/endless"));
    assertTrue(endless.getMessage().startsWith("it is larger than"), endless.getMessage());
    assertTrue(System.nanoTime() - start < TIME.toNanos() * 2);
  }

  @Test
  void aServerThatNeverAnswersIsGivenUpOn() throws Exception {
    try (var silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      long start = System.nanoTime();
      var refused = assertThrows(Library.Refused.class,
          () -> web(true).fetch("http://127.0.0.1:" + silent.getLocalPort() + "/"));
      assertTrue(refused.getMessage().contains("took longer"), refused.getMessage());
      assertTrue(System.nanoTime() - start < TIME.toNanos() + 1_000_000_000L);
    }
  }

  @Test
  void onlyTheAllowedDomainsAndTheirSubdomains() {
    var web = new WebFetch(List.of("Example.org"), true, TIME, 1 << 20);
    var refused = assertThrows(Library.Refused.class,
        () -> web.fetch("http://example.org.evil.test/"));
    assertTrue(refused.getMessage().contains("not among the domains"), refused.getMessage());
    assertThrows(Library.Refused.class, () -> web.fetch("http://notexample.org/"));
  }

  @Test
  void whatIsPublic() throws Exception {
    for (String a : List.of("8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8")) {
      assertTrue(WebFetch.isPublic(InetAddress.getByName(a)), a);
    }
    for (String a : List.of("127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255",
        "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
        "255.255.255.255", "198.18.0.1", "192.0.0.8", "::1", "::", "fe80::1", "fc00::1",
        "fd00:ec2::254", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1",
        "ff02::1")) {
      assertFalse(WebFetch.isPublic(InetAddress.getByName(a)), a);
    }
  }
}
