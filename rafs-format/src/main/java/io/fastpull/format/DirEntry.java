package io.fastpull.format;

/**
 * One name in a directory.
 *
 * @param name the entry's name: one path component, never {@code .} or {@code ..}
 * @param ino the inode it names; several entries may name one non-directory inode (hard links)
 * @param mode the named inode's {@code st_mode}, so a listing needs no extra lookups
 */
public record DirEntry(String name, int ino, int mode) {}
