package io.fastpull.cli;

import io.fastpull.format.BlobFooter;
import io.fastpull.format.ChunkInfo;
import io.fastpull.format.DirEntry;
import io.fastpull.format.FileBlobSource;
import io.fastpull.format.BlobSource;
import io.fastpull.format.Inode;
import io.fastpull.format.LayerBlob;
import io.fastpull.format.LayerExporter;
import io.fastpull.format.LayerMeta;
import io.fastpull.format.LayerWriter;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code fastpull layer}: work on single lazy layer blobs on the local disk. */
@Command(
    name = "layer",
    mixinStandardHelpOptions = true,
    description = "Convert, inspect, verify and unpack single lazy layer blobs.",
    subcommands = {
      LayerCommand.Pack.class,
      LayerCommand.Inspect.class,
      LayerCommand.Verify.class,
      LayerCommand.Export.class,
      LayerCommand.Unpack.class
    })
final class LayerCommand {

  @Command(name = "pack", mixinStandardHelpOptions = true,
      description = "Convert an OCI layer tar (plain, gzip or zstd) into a lazy blob.")
  static final class Pack implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "LAYER", description = "layer tar, or - for stdin")
    String input;

    @Parameters(index = "1", paramLabel = "BLOB", description = "lazy blob to write")
    Path output;

    @Option(names = "--chunk-size", description = "bytes per chunk, a power of two "
        + "(default ${DEFAULT-VALUE})", defaultValue = "1048576")
    int chunkSize;

    @Option(names = "--level", description = "zstd level (default ${DEFAULT-VALUE})",
        defaultValue = "3")
    int level;

    @Option(names = "--threads", description = "compression threads (default: all cores)")
    Integer threads;

    @Option(names = "--prefetch", split = ",", paramLabel = "PATH",
        description = "files whose chunks go into the prefetch table, in order")
    List<String> prefetch = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
      LayerWriter.Options o = LayerWriter.Options.withChunkSize(chunkSize).withLevel(level)
          .withPrefetch(prefetch);
      if (threads != null) {
        o = o.withThreads(threads);
      }
      boolean stdin = input.equals("-");
      String source = stdin ? "standard input" : input;
      LayerWriter.Result r;
      try (InputStream in = new BufferedInputStream(stdin ? System.in
              : openInput(Path.of(input)), 1 << 20);
          StagedFile out = StagedFile.create(output)) {
        try {
          requireNotEmpty(in);
          r = new LayerWriter(o).write(in, out.stream());
        } catch (StagedFile.WriteFailure e) {
          throw e;
        } catch (IOException e) {
          throw new IOException(source + ": " + e.getMessage(), e);
        }
        out.commit();
      }
      PrintWriter w = spec.commandLine().getOut();
      w.printf(Locale.ROOT, "blob      %s%nsize      %d%ndiff_id   %s%nentries   %d%n"
              + "inodes    %d%nchunks    %d (%d deduplicated)%nfile data %d bytes -> %d "
              + "bytes of chunks%nmetadata  %d bytes (%d decompressed) at %d, %s%n",
          r.blobDigest(), r.blobSize(), r.diffId(), r.entries(), r.inodes(), r.chunks(),
          r.dedupedChunks(), r.fileBytes(), r.chunkBytes(), r.footer().metaStoredSize(),
          r.footer().metaSize(), r.footer().metaOffset(), r.footer().metaDigestString());
      w.flush();
      return 0;
    }
  }

  @Command(name = "inspect", mixinStandardHelpOptions = true,
      description = "Print a lazy blob's footer, superblock and tree.")
  static final class Inspect implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "BLOB")
    Path blob;

    @Option(names = "--chunks", description = "also list the chunk table")
    boolean chunks;

    @Override
    public Integer call() throws IOException {
      try (FileBlobSource src = openBlob(blob)) {
        LayerBlob b = readBlob(src, blob);
        LayerMeta m = b.meta();
        PrintWriter w = spec.commandLine().getOut();
        BlobFooter f = b.footer();
        w.printf(Locale.ROOT, "footer: %s%nchunk size %d, %d inodes, %d chunks, %d bytes of "
                + "chunk data, %d prefetch entries%n", f, m.chunkSize(), m.inodeCount(),
            m.chunkCount(), m.chunkDataSize(), m.prefetch().length);
        Deque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {1, "/"});
        while (!stack.isEmpty()) {
          Object[] top = stack.pop();
          int ino = (Integer) top[0];
          String path = (String) top[1];
          Inode n = m.inode(ino);
          w.printf(Locale.ROOT, "%7d %06o %5d:%-5d %3d %12d %s%s%n", ino, n.mode(), n.uid(),
              n.gid(), n.nlink(), n.size(), path,
              n.isSymlink() ? " -> " + m.readlink(ino).orElse("") : "");
          if (n.isDirectory()) {
            List<DirEntry> kids = m.list(ino);
            for (int i = kids.size() - 1; i >= 0; i--) {
              DirEntry e = kids.get(i);
              stack.push(new Object[] {e.ino(), (path.equals("/") ? "/" : path + "/") + e.name()});
            }
          }
        }
        if (chunks) {
          for (int i = 0; i < m.chunkCount(); i++) {
            ChunkInfo c = m.chunk(i);
            w.printf(Locale.ROOT, "chunk %6d @%-12d %8d -> %8d %s %s%n", i, c.compressedOffset(),
                c.compressedSize(), c.uncompressedSize(), c.raw() ? "raw " : "zstd",
                c.digestString());
          }
        }
        w.flush();
      }
      return 0;
    }
  }

  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = "Check the footer, metadata and every chunk digest of a lazy blob.")
  static final class Verify implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "BLOB")
    Path blob;

    @Override
    public Integer call() throws IOException {
      try (FileBlobSource src = openBlob(blob)) {
        LayerBlob b = readBlob(src, blob);
        int n;
        try {
          n = b.verifyAllChunks();
        } catch (IOException e) {
          throw new IOException(blob + ": " + e.getMessage(), e);
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "ok: %s: metadata and %d chunks verified%n",
            blob, n);
        spec.commandLine().getOut().flush();
      }
      return 0;
    }
  }

  @Command(name = "export", mixinStandardHelpOptions = true,
      description = "Write a lazy blob's tree as a tar (verifying every chunk).")
  static final class Export implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "BLOB")
    Path blob;

    @Parameters(index = "1", paramLabel = "TAR", description = "tar to write, or - for stdout")
    String output;

    @Option(names = "--oci-whiteouts",
        description = "write whiteouts as .wh. entries (an ordinary OCI layer)")
    boolean oci;

    @Override
    public Integer call() throws IOException {
      LayerExporter.Whiteouts style =
          oci ? LayerExporter.Whiteouts.OCI : LayerExporter.Whiteouts.OVERLAY;
      try (FileBlobSource src = openBlob(blob)) {
        LayerBlob b = readBlob(src, blob);
        if (output.equals("-")) {
          OutputStream out = new BufferedOutputStream(System.out, 1 << 20);
          try {
            LayerExporter.export(b, style, out);
          } catch (IOException e) {
            throw new IOException(blob + ": " + e.getMessage(), e);
          }
          out.flush();
          return 0;
        }
        try (StagedFile out = StagedFile.create(Path.of(output))) {
          try {
            LayerExporter.export(b, style, out.stream());
          } catch (StagedFile.WriteFailure e) {
            throw e;
          } catch (IOException e) {
            throw new IOException(blob + ": " + e.getMessage(), e);
          }
          out.commit();
        }
      }
      return 0;
    }
  }

  @Command(name = "unpack", mixinStandardHelpOptions = true,
      description = "Unpack a lazy blob into a new or empty directory, as the layer would be "
          + "mounted (uses GNU tar to create devices and xattrs; run as root to keep owners).")
  static final class Unpack implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "BLOB")
    Path blob;

    @Parameters(index = "1", paramLabel = "DIR",
        description = "directory to create, or an existing empty one (as tar -x -C)")
    Path dir;

    @Override
    public Integer call() throws IOException, InterruptedException {
      Path target = dir.toAbsolutePath().normalize();
      try (FileBlobSource src = openBlob(blob)) {
        LayerBlob b = readBlob(src, blob);
        if (Files.exists(target)) {
          unpackIntoEmpty(b, target);
        } else {
          unpackIntoNew(b, target);
        }
      }
      return 0;
    }

    /** Unpacks next to the target and renames the whole tree into place when complete. */
    private void unpackIntoNew(LayerBlob b, Path target) throws IOException, InterruptedException {
      if (Files.isSymbolicLink(target)) {
        throw new IOException("cannot unpack into " + dir + ": it is a dangling symbolic link");
      }
      StagedFile.requireDirectory(dir, target.getParent());
      Path tmp;
      try {
        tmp = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".");
      } catch (IOException e) {
        throw new IOException("cannot create " + dir + ": " + StagedFile.reason(e), e);
      }
      try {
        Unpacker.unpack(b, blob, tmp, dir);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileSystemException e) {
        throw new IOException("cannot create " + dir + ": " + StagedFile.reason(e), e);
      } finally {
        Unpacker.deleteTree(tmp);
      }
    }

    /**
     * Unpacks straight into an existing empty directory, as {@code tar -x -C} does (it may be a
     * mount point, which no rename could replace); on failure empties it again.
     */
    private void unpackIntoEmpty(LayerBlob b, Path target)
        throws IOException, InterruptedException {
      if (!Files.isDirectory(target)) {
        throw new IOException("cannot unpack into " + dir + ": it exists and is not a directory");
      }
      try (Stream<Path> s = Files.list(target)) {
        if (s.findAny().isPresent()) {
          throw new IOException("cannot unpack into " + dir + ": it is not empty; unpack needs a "
              + "new or empty directory so that the result is exactly the layer (empty it, or "
              + "give another path)");
        }
      }
      boolean done = false;
      try {
        Unpacker.unpack(b, blob, target, dir);
        done = true;
      } finally {
        if (!done) {
          try (Stream<Path> s = Files.list(target)) {
            for (Path p : s.toList()) {
              Unpacker.deleteTree(p);
            }
          }
        }
      }
    }
  }

  /** Opens a file named as input, failing with one clear line if it cannot be read. */
  static InputStream openInput(Path file) throws IOException {
    if (Files.isDirectory(file)) {
      throw new IOException("cannot read " + file + ": it is a directory");
    }
    try {
      return Files.newInputStream(file);
    } catch (IOException e) {
      throw new IOException("cannot read " + file + ": " + StagedFile.reason(e), e);
    }
  }

  /**
   * Refuses an input of zero bytes, as GNU tar does ("This does not look like a tar archive"):
   * it is no archive at all, most often a failed download or redirect. An empty layer is a tar
   * of zero blocks (1024 zero bytes, maybe compressed), which converts. {@code in} must support
   * mark.
   */
  static void requireNotEmpty(InputStream in) throws IOException {
    in.mark(1);
    int first = in.read();
    in.reset();
    if (first < 0) {
      throw new IOException("it is empty (0 bytes), which is not a tar archive; an empty layer "
          + "is a tar of zero blocks (tar -cf empty.tar -T /dev/null)");
    }
  }

  /** Opens a lazy blob file, failing with one clear line naming it. */
  static FileBlobSource openBlob(Path file) throws IOException {
    if (Files.isDirectory(file)) {
      throw new IOException("cannot read " + file + ": it is a directory");
    }
    try {
      return BlobSource.open(file);
    } catch (IOException e) {
      throw new IOException("cannot read " + file + ": " + StagedFile.reason(e), e);
    }
  }

  /** Reads a blob's footer and metadata; a damaged or foreign file is named in the error. */
  static LayerBlob readBlob(FileBlobSource src, Path file) throws IOException {
    try {
      return LayerBlob.open(src);
    } catch (IOException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }
}
