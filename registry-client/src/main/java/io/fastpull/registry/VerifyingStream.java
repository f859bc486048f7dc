package io.fastpull.registry;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Passes a blob through while hashing it; at end of stream fails with DIGEST_MISMATCH unless the digest
 * (and the size, when known) match. Bytes are handed out before the check, so callers must treat data as
 * unverified until they have read to EOF without an exception.
 */
final class VerifyingStream extends FilterInputStream {
  private final Digest expected;
  private final long expectedSize;
  private final MessageDigest md;
  private final String host;
  private final String repository;
  private long count;
  private boolean verified;

  /** @param expectedSize the size to insist on, or -1 when unknown */
  VerifyingStream(InputStream in, Digest expected, long expectedSize, String host, String repository) {
    super(in);
    this.expected = expected;
    this.expectedSize = expectedSize;
    this.md = expected.newMessageDigest();
    this.host = host;
    this.repository = repository;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n < 0) {
      verify();
      return -1;
    }
    md.update(b, off, n);
    count += n;
    if (expectedSize >= 0 && count > expectedSize) {
      throw mismatch("more than the expected " + expectedSize + " bytes");
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // Skipped bytes must still be hashed.
    byte[] buf = new byte[(int) Math.min(8192, Math.max(1, n))];
    long done = 0;
    while (done < n) {
      int r = read(buf, 0, (int) Math.min(buf.length, n - done));
      if (r < 0) break;
      done += r;
    }
    return done;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  private void verify() throws RegistryException {
    if (verified) return;
    if (expectedSize >= 0 && count != expectedSize) {
      throw mismatch("got " + count + " bytes, expected " + expectedSize);
    }
    if (!expected.matches(md.digest())) {
      throw mismatch("content of " + count + " bytes does not hash to the digest");
    }
    verified = true;
  }

  private RegistryException mismatch(String detail) {
    return RegistryException.builder(RegistryException.Kind.DIGEST_MISMATCH, "blob " + expected)
        .host(host)
        .repository(repository)
        .detail(detail)
        .build();
  }
}
