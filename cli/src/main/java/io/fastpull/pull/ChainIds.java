package io.fastpull.pull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fastpull.registry.Digest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Layer identities from an image config: its {@code rootfs.diff_ids} and the chain ids derived
 * from them (the OCI image spec's ChainID: the first diff id, then
 * {@code sha256(previous + " " + diffId)}), which name the committed snapshots.
 */
final class ChainIds {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ChainIds() {}

  /** The config's diff ids, base first. */
  static List<String> diffIds(byte[] config) throws PullException {
    JsonNode ids;
    try {
      ids = JSON.readTree(config).path("rootfs").path("diff_ids");
    } catch (IOException e) {
      throw new PullException(PullException.Kind.BAD_IMAGE, "image config is not JSON: " + e, e);
    }
    if (!ids.isArray()) {
      throw new PullException(PullException.Kind.BAD_IMAGE, "image config has no rootfs.diff_ids");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode n : ids) {
      try {
        out.add(Digest.parse(n.asText()).toString());
      } catch (IllegalArgumentException e) {
        throw new PullException(PullException.Kind.BAD_IMAGE,
            "image config has a bad diff_id '" + n.asText() + "'", e);
      }
    }
    return out;
  }

  /** The chain id of every prefix of {@code diffIds}. */
  static List<String> of(List<String> diffIds) {
    List<String> chain = new ArrayList<>();
    for (String d : diffIds) {
      chain.add(chain.isEmpty() ? d : Digest.sha256(
          (chain.get(chain.size() - 1) + " " + d).getBytes(StandardCharsets.UTF_8)).toString());
    }
    return chain;
  }
}
