/**
 * Streaming reader and writer for the tar archives that carry OCI image layers.
 *
 * <p>Owns: ustar, old-GNU and v7 headers; PAX local/global extended headers (parsed as bytes, so
 * binary xattr values such as {@code security.capability} survive); GNU long names; base-256
 * numbers; GNU sparse format 1.0 in PAX. Hostile input ends in {@link
 * io.fastpull.tar.TarFormatException} with the archive offset, never in a hang or a large
 * allocation driven by a header's claims.
 *
 * <p>Vocabulary: a <em>block</em> is 512 bytes; an <em>entry</em> is one real file system object
 * (extension headers such as PAX {@code x}/{@code g} and GNU {@code L}/{@code K} are folded into
 * the entry that follows them); the <em>physical</em> size of an entry is what the archive stores,
 * its <em>logical</em> size ({@link io.fastpull.tar.TarHeader#size()}) is what the file holds after
 * sparse holes are expanded.
 *
 * <p>Depends on the JDK only. Must not depend on {@code io.fastpull.format} or any logging API.
 */
package io.fastpull.tar;
