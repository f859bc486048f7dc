package io.fastpull.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

class LogSetupTest {
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private PrintStream realErr;

  @BeforeEach
  void captureStderr() {
    realErr = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restore() {
    LogSetup.set(LogStyle.COMMAND, Level.WARN);
    System.setErr(realErr);
  }

  private List<String> lines() {
    return err.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void jsonLinesCarryTheFieldsAndTakeInJavaUtilLogging() throws Exception {
    LogSetup.set(LogStyle.JSON, Level.INFO);
    LoggerFactory.getLogger("io.fastpull.x.Thing").atInfo().addKeyValue("layer", "sha256:ab")
        .log("mounted \"quoted\" key={}", "k");
    LoggerFactory.getLogger("io.fastpull.x.Thing").debug("not shown at info");
    LoggerFactory.getLogger("io.fastpull.x.Thing").warn("failed", new IllegalStateException("boom"));
    java.util.logging.Logger.getLogger("io.grpc.Example").warning("from gRPC");
    List<String> lines = lines();
    assertEquals(3, lines.size(), String.join("\n", lines));
    ObjectMapper json = new ObjectMapper();
    JsonNode first = json.readTree(lines.get(0));
    assertEquals("INFO", first.get("level").asText());
    assertEquals("io.fastpull.x.Thing", first.get("logger").asText());
    assertEquals("mounted \"quoted\" key=k", first.get("message").asText());
    assertEquals("sha256:ab", first.get("layer").asText());
    assertEquals(Thread.currentThread().getName(), first.get("thread").asText());
    assertTrue(first.get("time").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));
    assertTrue(json.readTree(lines.get(1)).get("exception").asText()
        .startsWith("java.lang.IllegalStateException: boom"));
    JsonNode jul = json.readTree(lines.get(2));
    assertEquals("io.grpc.Example", jul.get("logger").asText());
    assertEquals("from gRPC", jul.get("message").asText());
  }

  @Test
  void textLinesHaveUtcTimeLevelAndShortLoggerName() {
    LogSetup.set(LogStyle.TEXT, Level.INFO);
    LoggerFactory.getLogger("io.fastpull.x.Thing").info("started root={}", "/r");
    assertTrue(lines().get(0).matches(
        "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO  Thing: started root=/r"), lines().get(0));
  }

  @Test
  void commandsShowWarningsOnlyInShort() {
    LogSetup.set(LogStyle.COMMAND, Level.WARN);
    LoggerFactory.getLogger("io.fastpull.x.Thing").info("a step");
    LoggerFactory.getLogger("io.fastpull.x.Thing").warn("cannot delete work dir={}", "/w");
    assertEquals(List.of("fastpull: warning: cannot delete work dir=/w"), lines());
  }
}
