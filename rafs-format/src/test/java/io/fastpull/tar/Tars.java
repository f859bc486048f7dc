package io.fastpull.tar;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Test fixtures: tar archives built in code.
 *
 * <pre>{@code
 * byte[] layer = Tars.tarOf(
 *     dir("etc", 0755),
 *     file("etc/passwd", "root:x:0:0::/root:/bin/sh\n").owner(0, 0),
 *     file("bin/tool", 10 << 20, 42).mode(04755).xattr("security.capability", cap),
 *     symlink("bin/sh", "busybox"),
 *     hardlink("bin/tool2", "bin/tool"),
 *     whiteout("var/old"),
 *     opaque("home"),
 *     sparseZeros("var/huge", 5L << 30).region(1 << 20, "hello".getBytes()));
 * }</pre>
 *
 * <p>Entries are mutable builders: each modifier changes the entry and returns it. Generated and
 * sparse contents are streamed, never held in memory. Defaults: mode 0644 (files), 0755
 * (directories), 0777 (symlinks); owner 0:0; mtime 1,700,000,000.
 */
public final class Tars {
  /** Default mtime of fixture entries. */
  public static final long MTIME = 1_700_000_000L;

  private Tars() {}

  /** The archive of {@code entries}, in order, with the end-of-archive marker. */
  public static byte[] tarOf(Entry... entries) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      writeTar(out, entries);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Streams the archive of {@code entries} to {@code out} (closed afterwards). */
  public static void writeTar(OutputStream out, Entry... entries) throws IOException {
    try (TarWriter w = new TarWriter(out)) {
      for (Entry e : entries) {
        e.writeTo(w);
      }
    }
  }

  public static Entry dir(String name, int mode) {
    return new Entry(name, TarEntryType.DIRECTORY, mode);
  }

  public static Entry dir(String name) {
    return dir(name, 0755);
  }

  public static Entry file(String name, String content) {
    return file(name, content.getBytes(StandardCharsets.UTF_8));
  }

  public static Entry file(String name, byte[] content) {
    byte[] copy = content.clone();
    return new Entry(name, TarEntryType.FILE, 0644)
        .content(copy.length, () -> new ByteArrayInputStream(copy));
  }

  /** A file of {@code size} deterministic pseudo-random bytes (see {@link #generated}). */
  public static Entry file(String name, long size, long seed) {
    return new Entry(name, TarEntryType.FILE, 0644).content(size, () -> generated(size, seed));
  }

  public static Entry symlink(String name, String target) {
    Entry e = new Entry(name, TarEntryType.SYMLINK, 0777);
    e.link = target;
    return e;
  }

  public static Entry hardlink(String name, String target) {
    Entry e = new Entry(name, TarEntryType.HARDLINK, 0644);
    e.link = target;
    return e;
  }

  public static Entry charDev(String name, int major, int minor) {
    return device(name, TarEntryType.CHAR_DEVICE, major, minor);
  }

  public static Entry blockDev(String name, int major, int minor) {
    return device(name, TarEntryType.BLOCK_DEVICE, major, minor);
  }

  public static Entry fifo(String name) {
    return new Entry(name, TarEntryType.FIFO, 0644);
  }

  /** The OCI whiteout for {@code path}: an empty file {@code dir/.wh.base}. */
  public static Entry whiteout(String path) {
    int slash = path.lastIndexOf('/');
    return file(path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1), new byte[0]);
  }

  /** The OCI opaque marker for directory {@code dir}: an empty file {@code dir/.wh..wh..opq}. */
  public static Entry opaque(String dir) {
    String d = dir.endsWith("/") || dir.isEmpty() ? dir : dir + "/";
    return file(d + ".wh..wh..opq", new byte[0]);
  }

  /**
   * A sparse file of logical {@code size} that is all holes until {@link Entry#region} adds
   * data; written with {@link TarWriter#addSparse}.
   */
  public static Entry sparseZeros(String name, long size) {
    Entry e = new Entry(name, TarEntryType.FILE, 0644);
    e.size = size;
    e.regions = new ArrayList<>();
    return e;
  }

  /**
   * A deterministic stream of {@code size} pseudo-random bytes: byte {@code i} depends only on
   * {@code seed} and {@code i}, so any slice can be recomputed with {@link #generatedByte}.
   */
  public static InputStream generated(long size, long seed) {
    return new InputStream() {
      private long pos;

      @Override
      public int read() {
        return pos < size ? generatedByte(seed, pos++) & 0xFF : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
          return 0;
        }
        if (pos >= size) {
          return -1;
        }
        int n = (int) Math.min(len, size - pos);
        int i = 0;
        while (i < n) {
          long word = mix(seed, (pos + i) >>> 3);
          for (int k = (int) ((pos + i) & 7); k < 8 && i < n; k++, i++) {
            b[off + i] = (byte) (word >>> (8 * k));
          }
        }
        pos += n;
        return n;
      }
    };
  }

  /** Byte {@code pos} of {@link #generated}{@code (.., seed)}. */
  public static byte generatedByte(long seed, long pos) {
    return (byte) (mix(seed, pos >>> 3) >>> (8 * (pos & 7)));
  }

  private static long mix(long seed, long word) {
    // splitmix64 finaliser: cheap, and good enough that chunks never repeat by accident.
    long z = seed * 0x9E3779B97F4A7C15L + word * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static Entry device(String name, TarEntryType type, int major, int minor) {
    Entry e = new Entry(name, type, 0644);
    e.major = major;
    e.minor = minor;
    return e;
  }

  /** One archive entry under construction. */
  public static final class Entry {
    private final String name;
    private final TarEntryType type;
    private int mode;
    private long uid;
    private long gid;
    private long mtime = MTIME;
    private int nanos;
    private String link = "";
    private int major;
    private int minor;
    private long size;
    private Supplier<InputStream> data;
    private final Map<String, byte[]> xattrs = new LinkedHashMap<>();
    private List<long[]> regions; // non-null for sparse entries
    private final ByteArrayOutputStream regionBytes = new ByteArrayOutputStream();

    private Entry(String name, TarEntryType type, int mode) {
      this.name = name;
      this.type = type;
      this.mode = mode;
    }

    private Entry content(long size, Supplier<InputStream> data) {
      this.size = size;
      this.data = data;
      return this;
    }

    public Entry mode(int mode) {
      this.mode = mode;
      return this;
    }

    public Entry owner(long uid, long gid) {
      this.uid = uid;
      this.gid = gid;
      return this;
    }

    public Entry mtime(long seconds, int nanos) {
      this.mtime = seconds;
      this.nanos = nanos;
      return this;
    }

    public Entry xattr(String name, byte[] value) {
      xattrs.put(name, value.clone());
      return this;
    }

    public Entry xattr(String name, String value) {
      return xattr(name, value.getBytes(StandardCharsets.UTF_8));
    }

    /** Adds a data region to a {@link #sparseZeros} entry (regions in ascending order). */
    public Entry region(long offset, byte[] bytes) {
      if (regions == null) {
        throw new IllegalStateException("region() is only for sparseZeros entries");
      }
      regions.add(new long[] {offset, bytes.length});
      regionBytes.writeBytes(bytes);
      return this;
    }

    /** The header this entry is written with. */
    public TarHeader header() {
      return new TarHeader(name, type, mode, uid, gid, type == TarEntryType.FILE ? size : 0,
          mtime, nanos, link, major, minor, xattrs);
    }

    /** A fresh stream of the entry's logical content (holes expanded for sparse entries). */
    public InputStream content() {
      if (regions != null) {
        return sparseContent();
      }
      return data == null ? InputStream.nullInputStream() : data.get();
    }

    /** Appends this entry to {@code w}. */
    public void writeTo(TarWriter w) throws IOException {
      if (regions != null) {
        w.addSparse(header(), regions, new ByteArrayInputStream(regionBytes.toByteArray()));
      } else {
        try (InputStream in = content()) {
          w.add(header(), in);
        }
      }
    }

    private InputStream sparseContent() {
      byte[] stored = regionBytes.toByteArray();
      List<long[]> rs = List.copyOf(regions);
      return new InputStream() {
        private long pos;

        @Override
        public int read() {
          byte[] one = new byte[1];
          return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) {
          if (pos >= size) {
            return -1;
          }
          int n = (int) Math.min(len, size - pos);
          java.util.Arrays.fill(b, off, off + n, (byte) 0);
          long base = 0;
          for (long[] r : rs) {
            long from = Math.max(pos, r[0]);
            long to = Math.min(pos + n, r[0] + r[1]);
            for (long p = from; p < to; p++) {
              b[off + (int) (p - pos)] = stored[(int) (base + p - r[0])];
            }
            base += r[1];
          }
          pos += n;
          return n;
        }
      };
    }
  }
}
