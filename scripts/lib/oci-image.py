#!/usr/bin/python3
"""Writes an OCI image into an OCI image layout, one gzip layer per source directory.

    oci-image.py --layout DIR --tag TAG [--layer SRC]... [--entrypoint JSON] [--cmd JSON]
                 [--env K=V]... [--workdir DIR]

Each SRC directory becomes one layer (GNU tar, names sorted, numeric owners, xattrs, gzip -1).
Layers are cached in the layout: a directory whose listing (names, sizes, mtimes, modes, owners)
has not changed since the last call reuses its blob. Several tags may share one layout; the
image can then be copied with `skopeo copy oci:DIR:TAG docker://...`.
Prints the manifest digest.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"


def fail(msg):
    print(f"oci-image: error: {msg}", file=sys.stderr)
    sys.exit(1)


def write_blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", digest)
    if not os.path.exists(path):
        atomic_write(path, data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def atomic_write(path, data):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


def fingerprint(src):
    """A digest of the tree's listing: changes when a file is added, removed, resized or touched."""
    listing = subprocess.run(
        ["find", ".", "-printf", r"%P\t%y\t%s\t%T@\t%m\t%U\t%G\t%l\n"],
        cwd=src, check=True, stdout=subprocess.PIPE).stdout
    lines = sorted(listing.splitlines())
    return hashlib.sha256(b"\n".join(lines)).hexdigest()


def layer(layout, src):
    if not os.path.isdir(src):
        fail(f"layer source {src} is not a directory")
    cache_dir = os.path.join(layout, "layer-cache")
    os.makedirs(cache_dir, exist_ok=True)
    key = hashlib.sha256((os.path.abspath(src) + "\0" + fingerprint(src)).encode()).hexdigest()
    cached = os.path.join(cache_dir, key + ".json")
    if os.path.exists(cached):
        with open(cached) as f:
            entry = json.load(f)
        if os.path.exists(os.path.join(layout, "blobs", "sha256", entry["digest"][7:])):
            return entry
    blobs = os.path.join(layout, "blobs", "sha256")
    fd, tmp = tempfile.mkstemp(dir=blobs, prefix=".tmp-layer-")
    diff = hashlib.sha256()
    with os.fdopen(fd, "wb") as out:
        tar = subprocess.Popen(
            ["tar", "--numeric-owner", "--xattrs", "--sort=name", "--exclude=./.complete",
             "-C", src, "-cf", "-", "."], stdout=subprocess.PIPE)
        gz = subprocess.Popen(["gzip", "-1", "-n", "-c"], stdin=subprocess.PIPE, stdout=out)
        while True:
            buf = tar.stdout.read(1 << 20)
            if not buf:
                break
            diff.update(buf)
            gz.stdin.write(buf)
        gz.stdin.close()
        if tar.wait() != 0 or gz.wait() != 0:
            os.unlink(tmp)
            fail(f"tar or gzip failed on {src}")
    comp = hashlib.sha256()
    with open(tmp, "rb") as f:
        while True:
            buf = f.read(1 << 20)
            if not buf:
                break
            comp.update(buf)
    digest = comp.hexdigest()
    size = os.path.getsize(tmp)
    os.rename(tmp, os.path.join(blobs, digest))
    entry = {"digest": "sha256:" + digest, "size": size, "diff_id": "sha256:" + diff.hexdigest()}
    atomic_write(cached, json.dumps(entry).encode())
    return entry


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--layout", required=True)
    p.add_argument("--tag", required=True)
    p.add_argument("--layer", action="append", default=[])
    p.add_argument("--entrypoint")
    p.add_argument("--cmd")
    p.add_argument("--env", action="append", default=[])
    p.add_argument("--workdir")
    a = p.parse_args()
    if not a.layer:
        fail("give at least one --layer")
    layout = a.layout
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    if not os.path.exists(os.path.join(layout, "oci-layout")):
        atomic_write(os.path.join(layout, "oci-layout"), b'{"imageLayoutVersion":"1.0.0"}')

    layers = [layer(layout, src) for src in a.layer]
    cfg = {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] + a.env}
    if a.entrypoint:
        cfg["Entrypoint"] = json.loads(a.entrypoint)
    if a.cmd:
        cfg["Cmd"] = json.loads(a.cmd)
    if a.workdir:
        cfg["WorkingDir"] = a.workdir
    config = {
        "architecture": "amd64", "os": "linux", "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": [entry["diff_id"] for entry in layers]},
        "history": [{"created_by": f"oci-image.py --layer {src}"} for src in a.layer],
    }
    config_desc = write_blob(layout, json.dumps(config, sort_keys=True).encode())
    config_desc["mediaType"] = "application/vnd.oci.image.config.v1+json"
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config_desc,
        "layers": [{"mediaType": LAYER_TYPE, "digest": e["digest"], "size": e["size"]}
                   for e in layers],
    }
    manifest_desc = write_blob(layout, json.dumps(manifest, sort_keys=True).encode())
    manifest_desc["mediaType"] = manifest["mediaType"]
    manifest_desc["annotations"] = {"org.opencontainers.image.ref.name": a.tag}

    index_path = os.path.join(layout, "index.json")
    index = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(index_path):
        with open(index_path) as f:
            index = json.load(f)
    index["manifests"] = [m for m in index["manifests"]
                          if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != a.tag]
    index["manifests"].append(manifest_desc)
    atomic_write(index_path, json.dumps(index, indent=1).encode())
    print(manifest_desc["digest"])


if __name__ == "__main__":
    main()
