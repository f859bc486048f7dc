package io.fastpull.metrics;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Function;

/** One metric family: name, help, type and its series keyed by label values. */
abstract class Family<S> {
  final String name;
  final String help;
  final List<String> labelNames;
  // sorted so the exposition is stable
  final Map<List<String>, S> series = new ConcurrentSkipListMap<>(Family::compare);

  Family(String name, String help, List<String> labelNames) {
    if (!name.matches("[a-zA-Z_:][a-zA-Z0-9_:]*")) {
      throw new IllegalArgumentException("bad metric name: " + name);
    }
    this.name = name;
    this.help = help;
    this.labelNames = List.copyOf(labelNames);
  }

  S series(String[] labelValues, Function<List<String>, S> create) {
    if (labelValues.length != labelNames.size()) {
      throw new IllegalArgumentException(
          "metric " + name + " takes labels " + labelNames + ", got " + List.of(labelValues));
    }
    return series.computeIfAbsent(List.of(labelValues), create);
  }

  abstract void write(StringBuilder out);

  String labels(List<String> values, String extraName, String extraValue) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < values.size(); i++) {
      b.append(b.length() == 0 ? "" : ",").append(labelNames.get(i)).append("=\"")
          .append(escape(values.get(i))).append('"');
    }
    if (extraName != null) {
      b.append(b.length() == 0 ? "" : ",").append(extraName).append("=\"").append(extraValue).append('"');
    }
    return b.length() == 0 ? "" : "{" + b + "}";
  }

  private static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  private static int compare(List<String> a, List<String> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = a.get(i).compareTo(b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }

}
