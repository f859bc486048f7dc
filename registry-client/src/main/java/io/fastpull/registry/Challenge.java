package io.fastpull.registry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One {@code WWW-Authenticate} challenge: a scheme ({@code basic} or {@code bearer}, lowercased) and its
 * parameters ({@code realm}, {@code service}, {@code scope}, ...).
 */
record Challenge(String scheme, Map<String, String> params) {
  Challenge {
    scheme = scheme.toLowerCase(Locale.ROOT);
    params = Map.copyOf(params);
  }

  String param(String name) {
    return params.get(name);
  }

  /** Parses all challenges in the given header values; malformed parts are skipped. */
  static List<Challenge> parse(List<String> headerValues) {
    List<Challenge> out = new ArrayList<>();
    for (String v : headerValues) {
      parseOne(v, out);
    }
    return out;
  }

  // Grammar (RFC 7235, simplified): scheme SP param *("," param), param = token "=" (token / quoted-string);
  // a token not followed by "=" starts the next challenge.
  private static void parseOne(String s, List<Challenge> out) {
    int i = 0;
    int n = s.length();
    String scheme = null;
    Map<String, String> params = new LinkedHashMap<>();
    while (i < n) {
      while (i < n && (s.charAt(i) == ' ' || s.charAt(i) == ',')) i++;
      int start = i;
      while (i < n && s.charAt(i) != ' ' && s.charAt(i) != '=' && s.charAt(i) != ',') i++;
      if (start == i) break;
      String token = s.substring(start, i);
      int j = i;
      while (j < n && s.charAt(j) == ' ') j++;
      if (j < n && s.charAt(j) == '=' && scheme != null) {
        i = j + 1;
        while (i < n && s.charAt(i) == ' ') i++;
        StringBuilder value = new StringBuilder();
        if (i < n && s.charAt(i) == '"') {
          i++;
          while (i < n && s.charAt(i) != '"') {
            if (s.charAt(i) == '\\' && i + 1 < n) i++;
            value.append(s.charAt(i++));
          }
          i++;
        } else {
          while (i < n && s.charAt(i) != ',') value.append(s.charAt(i++));
        }
        params.put(token.toLowerCase(Locale.ROOT), value.toString().trim());
      } else {
        if (scheme != null) out.add(new Challenge(scheme, params));
        scheme = token;
        params = new LinkedHashMap<>();
      }
    }
    if (scheme != null) out.add(new Challenge(scheme, params));
  }
}
