package io.fastpull.registry;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Tells whether a server that failed a TLS handshake speaks plain HTTP instead, so the error can say so
 * rather than blame certificates. It asks {@code GET /v2/} in plain HTTP/1.1 and looks at the status
 * line: a registry answers 200 or 401. An HTTPS server that notices plain HTTP answers 400 too (Go's and
 * nginx's do, in plain text), so a 400 does not count, nor does anything that is not an HTTP/1 status
 * line. Stateless.
 */
final class PlainHttpProbe {
  private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.[01] (\\d{3})");

  private PlainHttpProbe() {}

  /** Whether {@code uri}'s host and port answer plain HTTP within {@code timeout} (connect and answer each). */
  static boolean speaksPlainHttp(URI uri, Duration timeout) {
    String host = uri.getHost();
    int port = uri.getPort() != -1 ? uri.getPort() : 443;
    int ms = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), ms);
      s.setSoTimeout(ms);
      OutputStream out = s.getOutputStream();
      out.write(("GET /v2/ HTTP/1.1\r\nHost: " + uri.getRawAuthority() + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      String line = new String(s.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1);
      var m = STATUS_LINE.matcher(line);
      return m.matches() && !m.group(1).equals("400");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
