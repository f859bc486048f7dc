package io.fastpull.daemon;

import com.google.protobuf.Timestamp;

final class Timestamps {
  private Timestamps() {}

  static long micros(Timestamp t) {
    return t.getSeconds() * 1_000_000L + t.getNanos() / 1000;
  }
}
