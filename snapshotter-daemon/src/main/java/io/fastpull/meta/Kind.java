package io.fastpull.meta;

/** The closed set of snapshot kinds, as containerd defines them. */
public enum Kind {
  VIEW,
  ACTIVE,
  COMMITTED
}
