package io.fastpull.format;

/**
 * The attributes of one inode of a layer, as {@code stat(2)} would report them.
 *
 * @param ino inode number, 1 for the layer root, dense up to the inode count
 * @param mode full {@code st_mode}: type bits and permission bits (incl. setuid, setgid, sticky)
 * @param uid owner
 * @param gid group
 * @param nlink link count: dirents naming a non-directory, 2 + subdirectories for a directory
 * @param size bytes of file content; symlink target length; 0 for others
 * @param mtimeSeconds modification time, seconds since the epoch
 * @param mtimeNanos sub-second part of the modification time
 * @param rdevMajor device major number (devices only)
 * @param rdevMinor device minor number (devices only)
 */
public record Inode(
    int ino,
    int mode,
    long uid,
    long gid,
    int nlink,
    long size,
    long mtimeSeconds,
    int mtimeNanos,
    int rdevMajor,
    int rdevMinor) {

  public InodeType type() {
    return InodeType.ofMode(mode);
  }

  public boolean isDirectory() {
    return (mode & Layout.S_IFMT) == Layout.S_IFDIR;
  }

  public boolean isFile() {
    return (mode & Layout.S_IFMT) == Layout.S_IFREG;
  }

  public boolean isSymlink() {
    return (mode & Layout.S_IFMT) == Layout.S_IFLNK;
  }

  /** Permission bits including setuid, setgid and sticky. */
  public int permissions() {
    return mode & 07777;
  }

  /** Whether this is an overlayfs whiteout: a character device 0/0. */
  public boolean isWhiteout() {
    return (mode & Layout.S_IFMT) == Layout.S_IFCHR && rdevMajor == 0 && rdevMinor == 0;
  }
}
