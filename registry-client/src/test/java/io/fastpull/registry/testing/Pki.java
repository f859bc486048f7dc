package io.fastpull.registry.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Test keys and certificates made with the openssl CLI (the JDK has no public certificate builder). */
final class Pki {
  private Pki() {}

  /** A self-signed CA: writes {@code name.pem} and {@code name.key} into {@code dir}. */
  static void selfSigned(Path dir, String name, String cn, boolean ca) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
        "-keyout", dir.resolve(name + ".key").toString(), "-out", dir.resolve(name + ".pem").toString(),
        "-days", "2", "-subj", "/CN=" + cn));
    if (ca) {
      cmd.addAll(List.of("-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"));
    }
    run(dir, cmd);
  }

  /** A server certificate for 127.0.0.1 and localhost signed by CA {@code ca}: writes {@code name.pem}/{@code name.key}. */
  static void serverCert(Path dir, String ca, String name) throws IOException {
    Path ext = dir.resolve(name + ".ext");
    Files.writeString(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        + "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
    run(dir, List.of("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.resolve(name + ".key").toString(),
        "-out", dir.resolve(name + ".csr").toString(), "-subj", "/CN=127.0.0.1"));
    run(dir, List.of("openssl", "x509", "-req", "-in", dir.resolve(name + ".csr").toString(),
        "-CA", dir.resolve(ca + ".pem").toString(), "-CAkey", dir.resolve(ca + ".key").toString(), "-CAcreateserial",
        "-out", dir.resolve(name + ".pem").toString(), "-days", "2", "-extfile", ext.toString()));
  }

  static PrivateKey privateKey(Path pem) throws IOException {
    String text = Files.readString(pem);
    if (!text.contains("BEGIN PRIVATE KEY")) {
      throw new IOException(pem + " is not a PKCS#8 PEM key");
    }
    byte[] der = Base64.getMimeDecoder().decode(text.replaceAll("-----[A-Z ]+-----", "").trim());
    try {
      return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("cannot read RSA key " + pem, e);
    }
  }

  static X509Certificate certificate(Path pem) throws IOException {
    try (var in = Files.newInputStream(pem)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    } catch (java.security.cert.CertificateException e) {
      throw new IOException("cannot read certificate " + pem, e);
    }
  }

  static void run(Path dir, List<String> cmd) throws IOException {
    Path log = Files.createTempFile(dir, "cmd", ".log");
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(cmd.get(0) + " did not finish within 60 s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted running " + cmd.get(0), e);
    }
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): "
          + Files.readString(log, StandardCharsets.UTF_8));
    }
  }
}
