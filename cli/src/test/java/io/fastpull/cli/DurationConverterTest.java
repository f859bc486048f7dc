package io.fastpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class DurationConverterTest {
  private final DurationConverter c = new DurationConverter();

  @Test
  void unitsAsPeopleTypeThem() {
    assertEquals(Duration.ofSeconds(90), c.convert("90"));
    assertEquals(Duration.ofSeconds(90), c.convert("90s"));
    assertEquals(Duration.ofMillis(500), c.convert("500ms"));
    assertEquals(Duration.ofMinutes(2), c.convert("2m"));
    assertEquals(Duration.ofHours(1), c.convert("1h"));
    assertEquals(Duration.ofSeconds(90), c.convert("PT1M30S"));
    assertEquals(Duration.ofMinutes(90), c.convert("1h30m"));
    assertEquals(Duration.ofMillis(3_723_004), c.convert("1h2m3s4ms"));
  }

  @Test
  void nonsenseZeroAndOverflowAreRejected() {
    for (String bad : new String[] {"", "ten", "5 d", "-3s", "0", "0s", "30m1h", "5m5m", "1h 30m",
        "99999999999999999999s"}) {
      assertThrows(TypeConversionException.class, () -> c.convert(bad), bad);
    }
  }
}
