package scrittabot.library;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Fetches a web page for the agent, safely: http and https only, to public addresses only. The
 * host is resolved here, every address it has is checked (no loopback, private, link-local,
 * shared, reserved or metadata range, IPv4 inside IPv6 too), and the socket connects to the
 * address that was checked, so a DNS answer that changes between check and connect (DNS
 * rebinding) cannot lead inside. Redirects are followed a few times, each checked the same way.
 * Size and time are bounded. HTTP/1.1 by hand over that socket (TLS with the host's name for
 * SNI and certificate checks): java.net.http would resolve the name again by itself.
 */
public final class WebFetch {
  private static final int MAX_REDIRECTS = 5;
  private static final int MAX_HEADER_BYTES = 64 * 1024;

  /** A page as fetched: the address it came from in the end, its type and bytes. */
  public record Page(URI url, String contentType, byte[] body) {}

  private final List<String> allowedDomains;
  private final boolean loopbackForTests;
  private final Duration timeout;
  private final long maxBytes;

  /**
   * {@code allowedDomains}: when not empty, only these domains and their subdomains.
   * {@code loopbackForTests}: lets 127.0.0.1 through, for tests with a local server only.
   */
  public WebFetch(List<String> allowedDomains, boolean loopbackForTests, Duration timeout,
      long maxBytes) {
    this.allowedDomains = allowedDomains.stream().map(d -> d.toLowerCase(Locale.ROOT)).toList();
    this.loopbackForTests = loopbackForTests;
    this.timeout = timeout;
    this.maxBytes = maxBytes;
  }

  /** The page at {@code url}, after redirects; refused with a reason the agent can read. */
  public Page fetch(String url) throws Library.Refused, IOException {
    URI uri = parse(url);
    long deadline = System.nanoTime() + timeout.toNanos();
    for (int hops = 0; ; hops++) {
      InetAddress address = check(uri);
      Response response = get(uri, address, deadline);
      if (response.status() >= 300 && response.status() < 400
          && response.headers().containsKey("location")) {
        if (hops == MAX_REDIRECTS) {
          throw new Library.Refused("it redirects more than " + MAX_REDIRECTS + " times");
        }
        try {
          uri = parse(uri.resolve(response.headers().get("location").strip()).toString());
        } catch (IllegalArgumentException e) {
          throw new Library.Refused("it redirects to an address that is not valid");
        }
        continue;
      }
      if (response.status() != 200) {
        throw new Library.Refused("the server answered " + response.status());
      }
      return new Page(uri, response.headers().getOrDefault("content-type",
          "application/octet-stream"), response.body());
    }
  }

  private static URI parse(String url) throws Library.Refused {
    URI uri;
    try {
      uri = new URI(url.strip());
    } catch (URISyntaxException e) {
      throw new Library.Refused("it is not a valid address: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new Library.Refused("only http:// and https:// addresses can be fetched");
    }
    if (uri.getHost() == null || uri.getRawUserInfo() != null) {
      throw new Library.Refused("the address has no host, or has a user name in it");
    }
    return uri;
  }

  /** The address to connect to: the host's, when every address it has is public. */
  InetAddress check(URI uri) throws Library.Refused {
    String named = uri.getHost().toLowerCase(Locale.ROOT);
    String host = named.startsWith("[") && named.endsWith("]")
        ? named.substring(1, named.length() - 1) : named;
    if (!allowedDomains.isEmpty() && allowedDomains.stream()
        .noneMatch(d -> host.equals(d) || host.endsWith("." + d))) {
      throw new Library.Refused(host + " is not among the domains web_domains allows");
    }
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(host);
    } catch (UnknownHostException e) {
      throw new Library.Refused("the host " + host + " is not known");
    }
    for (InetAddress a : addresses) {
      if (!isPublic(a) && !(loopbackForTests && a.isLoopbackAddress())) {
        throw new Library.Refused(host + " is at " + a.getHostAddress() + ", which is not a "
            + "public address: only the public internet can be fetched");
      }
    }
    return addresses[0];
  }

  /** Whether an address is on the public internet: not local, private, shared or reserved. */
  static boolean isPublic(InetAddress a) {
    if (a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isLinkLocalAddress()
        || a.isSiteLocalAddress() || a.isMulticastAddress()) {
      return false;
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet6Address) {
      if ((b[0] & 0xfe) == 0xfc) {
        return false; // unique local fc00::/7 (fd00:ec2::254 is a metadata address)
      }
      boolean mapped = true; // ::ffff:a.b.c.d, and the NAT64 prefix 64:ff9b::/96
      for (int i = 0; i < 10; i++) {
        mapped &= b[i] == 0;
      }
      mapped &= (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
      boolean nat64 = (b[0] & 0xff) == 0 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff
          && (b[3] & 0xff) == 0x9b;
      boolean compatible = true; // ::a.b.c.d, deprecated but still parsed
      for (int i = 0; i < 12; i++) {
        compatible &= b[i] == 0;
      }
      if (mapped || nat64 || compatible) {
        try {
          return isPublic(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
        } catch (UnknownHostException e) {
          return false;
        }
      }
      return (b[0] & 0xe0) == 0x20; // global unicast is 2000::/3; the rest is reserved
    }
    if (a instanceof Inet4Address) {
      int first = b[0] & 0xff;
      int second = b[1] & 0xff;
      return !(first == 0 || first >= 224 // this network; multicast and reserved
          || (first == 100 && second >= 64 && second < 128) // shared, carrier-grade NAT
          || (first == 192 && second == 0 && (b[2] & 0xff) == 0) // IETF protocol assignments
          || (first == 198 && (second == 18 || second == 19)) // benchmarking
          || (first == 192 && second == 0 && (b[2] & 0xff) == 2) // documentation
          || (first == 198 && second == 51 && (b[2] & 0xff) == 100)
          || (first == 203 && second == 0 && (b[2] & 0xff) == 113));
    }
    return false;
  }

  private record Response(int status, Map<String, String> headers, byte[] body) {}

  private Response get(URI uri, InetAddress address, long deadline)
      throws Library.Refused, IOException {
    boolean tls = uri.getScheme().equalsIgnoreCase("https");
    int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
    var socket = new Socket();
    try {
      socket.connect(new InetSocketAddress(address, port), (int) Math.max(1, left(deadline)));
      Socket s = socket;
      if (tls) {
        s = tls(socket, uri.getHost(), port);
      }
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/"
          : uri.getRawPath();
      if (uri.getRawQuery() != null) {
        path += "?" + uri.getRawQuery();
      }
      String hostHeader = uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
      OutputStream out = s.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nUser-Agent: "
          + "ScrittaBot\r\nAccept: text/html,text/plain;q=0.9,*/*;q=0.5"
          + "\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = new Deadlined(s, new java.io.BufferedInputStream(s.getInputStream()),
          deadline);
      String statusLine = line(in);
      String[] parts = statusLine.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
        throw new Library.Refused("the server does not speak HTTP/1.1");
      }
      int status;
      try {
        status = Integer.parseInt(parts[1]);
      } catch (NumberFormatException e) {
        throw new Library.Refused("the server sent a broken answer");
      }
      var headers = new LinkedHashMap<String, String>();
      int headerBytes = statusLine.length();
      for (String h = line(in); !h.isEmpty(); h = line(in)) {
        headerBytes += h.length();
        if (headerBytes > MAX_HEADER_BYTES) {
          throw new Library.Refused("the server's headers are too long");
        }
        int colon = h.indexOf(':');
        if (colon > 0) {
          headers.put(h.substring(0, colon).strip().toLowerCase(Locale.ROOT),
              h.substring(colon + 1).strip());
        }
      }
      if (status >= 300 && status < 400) {
        return new Response(status, headers, new byte[0]);
      }
      String encoding = headers.getOrDefault("content-encoding", "identity");
      if (!encoding.equalsIgnoreCase("identity")) {
        throw new Library.Refused("the server sent it compressed (" + encoding + ")");
      }
      String length = headers.get("content-length");
      if (length != null && length.matches("\\d{1,18}") && Long.parseLong(length) > maxBytes) {
        throw new Library.Refused("it is larger than " + Library.megabytes(maxBytes));
      }
      byte[] body = "chunked".equalsIgnoreCase(headers.get("transfer-encoding"))
          ? chunked(in) : bounded(in, length == null ? maxBytes + 1 : Long.parseLong(length));
      return new Response(status, headers, body);
    } catch (SocketTimeoutException e) {
      throw new Library.Refused("the server took longer than " + timeout.toSeconds() + " s");
    } finally {
      socket.close();
    }
  }

  private static SSLSocket tls(Socket plain, String host, int port) throws IOException {
    try {
      var ssl = (SSLSocket) SSLContext.getDefault().getSocketFactory()
          .createSocket(plain, host, port, true);
      SSLParameters params = ssl.getSSLParameters();
      params.setServerNames(List.of(new SNIHostName(host)));
      params.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host
      ssl.setSSLParameters(params);
      ssl.startHandshake();
      return ssl;
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IOException("no TLS here", e);
    }
  }

  private static long left(long deadline) throws SocketTimeoutException {
    long ms = (deadline - System.nanoTime()) / 1_000_000;
    if (ms <= 0) {
      throw new SocketTimeoutException();
    }
    return ms;
  }

  /** A header line, without its CRLF. */
  private static String line(InputStream in) throws IOException, Library.Refused {
    var out = new ByteArrayOutputStream();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new Library.Refused("the server closed the connection too early");
      }
      if (out.size() > MAX_HEADER_BYTES) {
        throw new Library.Refused("the server's headers are too long");
      }
      out.write(c);
    }
    String s = out.toString(StandardCharsets.ISO_8859_1);
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }

  private byte[] bounded(InputStream in, long length) throws IOException, Library.Refused {
    var out = new ByteArrayOutputStream();
    byte[] buffer = new byte[16384];
    long left = length;
    while (left > 0) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        break;
      }
      out.write(buffer, 0, n);
      left -= n;
      if (out.size() > maxBytes) {
        throw new Library.Refused("it is larger than " + Library.megabytes(maxBytes));
      }
    }
    return out.toByteArray();
  }

  private byte[] chunked(InputStream in) throws IOException, Library.Refused {
    var out = new ByteArrayOutputStream();
    while (true) {
      String size = line(in).split(";")[0].strip();
      long n;
      try {
        n = Long.parseLong(size, 16);
      } catch (NumberFormatException e) {
        throw new Library.Refused("the server sent a broken chunk");
      }
      if (n == 0) {
        return out.toByteArray();
      }
      if (n < 0 || out.size() + n > maxBytes) {
        throw new Library.Refused("it is larger than " + Library.megabytes(maxBytes));
      }
      out.writeBytes(bounded(in, n));
      line(in); // the CRLF after the chunk
    }
  }

  /** Reads that stop at the deadline, however slowly the server trickles its bytes. */
  private static final class Deadlined extends InputStream {
    private final Socket socket;
    private final InputStream in;
    private final long deadline;

    Deadlined(Socket socket, InputStream in, long deadline) {
      this.socket = socket;
      this.in = in;
      this.deadline = deadline;
    }

    @Override
    public int read() throws IOException {
      socket.setSoTimeout((int) Math.max(1, left(deadline)));
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      socket.setSoTimeout((int) Math.max(1, left(deadline)));
      return in.read(b, off, len);
    }
  }
}
