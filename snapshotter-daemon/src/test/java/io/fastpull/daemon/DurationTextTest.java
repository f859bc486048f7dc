package io.fastpull.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationTextTest {
  @Test
  void goStyleUnitsBareSecondsAndIso() {
    assertEquals(Duration.ofSeconds(90), DurationText.parse("90"));
    assertEquals(Duration.ofSeconds(90), DurationText.parse(" 90s "));
    assertEquals(Duration.ofMillis(500), DurationText.parse("500ms"));
    assertEquals(Duration.ofMinutes(5), DurationText.parse("5m"));
    assertEquals(Duration.ofMinutes(90), DurationText.parse("1h30m"));
    assertEquals(Duration.ofSeconds(7205), DurationText.parse("2h5s"));
    assertEquals(Duration.ofMillis(61_500), DurationText.parse("1m1s500ms"));
    assertEquals(Duration.ofSeconds(90), DurationText.parse("PT1M30S"));
    assertEquals(Duration.ZERO, DurationText.parse("0s"));
  }

  @Test
  void badTextNamesItselfAndTheForm() {
    for (String bad : new String[] {"", "s", "ten", "5 m", "5d", "-3s", "30m1h", "5m5m", "1h-",
        "99999999999999999999s", "9999999999999999h", "P-1D"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> DurationText.parse(bad), bad);
      assertTrue(e.getMessage().contains("\"" + bad + "\""), e.getMessage());
    }
  }

  @Test
  void formatReadsBack() {
    for (Duration d : new Duration[] {Duration.ofSeconds(90), Duration.ofMinutes(90),
        Duration.ofMillis(1500), Duration.ofHours(30), Duration.ZERO}) {
      assertEquals(d, DurationText.parse(DurationText.format(d)), d::toString);
    }
    assertEquals("1h30m", DurationText.format(Duration.ofMinutes(90)));
  }
}
