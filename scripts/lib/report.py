#!/usr/bin/python3
"""Tables, JSON and a chart from `fastpull run --output-json` results (scripts/quickstart, scripts/bench).

    report.py quickstart --lazy FILE --lazy-bytes N --normal FILE --normal-bytes N
                         [--oci-layout DIR --tag TAG]
    report.py oneline                    (one runs.jsonl record on stdin -> one summary line)
    report.py bench --runs runs.jsonl --out DIR --rate-bps N --rate TEXT --latency-ms N --count N

Times are seconds from the start of `fastpull run` (its phases); a phase the run did not reach
is shown as "-".
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

# (metric, label, phase names of `fastpull run --output-json`, the first one reached wins).
# "app-ready" is the bench's own --phase (the application logged that it is ready); "exit"
# stands in for readiness when the container simply runs to completion.
METRICS = [
    ("pull", "pull", ["pull", "pulled"]),
    ("start", "container start", ["start", "started"]),
    ("first_log", "first log line", ["first-log"]),
    ("ready", "ready / completion", ["app-ready", "ready", "exit", "exited"]),
]


def metrics(result):
    """{metric: seconds or None} from one run's JSON ({"phases": [{"name", "seconds"}], ...})."""
    at = {p["name"]: p["seconds"] for p in result.get("phases", [])}
    out = {}
    for name, _, phases in METRICS:
        out[name] = next((at[p] for p in phases if p in at), None)
    return out


def fmt_s(v):
    return "-" if v is None else f"{v:.2f} s"


def fmt_bytes(n):
    if n is None:
        return "-"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def image_size(layout, tag):
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    for m in index["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            with open(os.path.join(layout, "blobs", "sha256", m["digest"][7:])) as f:
                manifest = json.load(f)
            return sum(layer["size"] for layer in manifest["layers"]) + manifest["config"]["size"]
    return None


def quickstart(a):
    with open(a.lazy) as f:
        lazy = metrics(json.load(f))
    with open(a.normal) as f:
        normal = metrics(json.load(f))
    rows = [(label, fmt_s(normal[name]), fmt_s(lazy[name])) for name, label, _ in METRICS]
    rows.append(("bytes pulled from the registry", fmt_bytes(a.normal_bytes), fmt_bytes(a.lazy_bytes)))
    size = image_size(a.oci_layout, a.tag) if a.oci_layout else None
    title = "demo image" + (f" ({fmt_bytes(size)} compressed)" if size else "")
    print(f"| {title} | full pull (overlayfs) | lazy (fastpull) |")
    print("|---|---:|---:|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")
    if normal["ready"] and lazy["ready"]:
        print(f"\nlazy reached completion {normal['ready'] / lazy['ready']:.1f}x sooner, "
              f"pulling {100.0 * a.lazy_bytes / max(a.normal_bytes, 1):.1f}% of the bytes.")


def oneline(_):
    rec = json.loads(sys.stdin.readline())
    m = metrics(rec["result"])
    parts = [f"{label} {fmt_s(m[name])}" for name, label, _ in METRICS]
    print(f"  {rec['image']} {rec['mode']:6} round {rec['run']}: " + ", ".join(parts)
          + f", fetched {fmt_bytes(rec['bytes'])} (wall {rec['wall_seconds']:.1f} s)")


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def bench(a):
    records = [json.loads(line) for line in open(a.runs) if line.strip()]
    order = [i for i in "SLW" if any(r["image"] == i for r in records)]
    modes = [("normal", "full pull"), ("lazy", "lazy")]
    summary = []
    for image in order:
        for mode, mode_label in modes:
            rs = [r for r in records if r["image"] == image and r["mode"] == mode]
            if not rs:
                continue
            ms = [metrics(r["result"]) for r in rs]
            row = {"image": image, "mode": mode, "runs": len(rs)}
            for name, _, _ in METRICS:
                row[name + "_seconds"] = median([m[name] for m in ms])
            row["bytes"] = int(median([r["bytes"] for r in rs]))
            row["link_seconds"] = row["bytes"] * 8 / a.rate_bps
            summary.append(row)
    doc = {"settings": {"rate": a.rate, "rate_bps": a.rate_bps, "latency_ms_each_way": a.latency_ms,
                        "runs": a.count},
           "medians": summary, "runs": records}
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)

    names = {"S": "S (busybox)", "L": "L (python + 2 GiB weights, unread)",
             "W": "W (python, reads the weights)"}
    lines = [f"Link: {a.rate} (tc tbf), {a.latency_ms:g} ms each way (userspace proxy); cold runs; "
             f"medians of {a.count} run(s).", "",
             "| image | mode | pull | container start | first log | ready / completion "
             "| fetched | link time for those bytes |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for row in summary:
        lines.append(f"| {names[row['image']]} | {dict(modes)[row['mode']]} | "
                     f"{fmt_s(row['pull_seconds'])} | {fmt_s(row['start_seconds'])} | "
                     f"{fmt_s(row['first_log_seconds'])} | {fmt_s(row['ready_seconds'])} | "
                     f"{fmt_bytes(row['bytes'])} | {fmt_s(row['link_seconds'])} |")
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    chart(a.out, summary)


def chart(out, summary):
    data = os.path.join(out, "chart.dat")
    with open(data, "w") as f:
        f.write("# image full_first_log full_ready lazy_first_log lazy_ready\n")
        for image in [i for i in "SLW" if any(r["image"] == i for r in summary)]:
            row = {r["mode"]: r for r in summary if r["image"] == image}
            vals = []
            for mode in ("normal", "lazy"):
                r = row.get(mode, {})
                vals += [r.get("first_log_seconds"), r.get("ready_seconds")]
            f.write(image + " " + " ".join("NaN" if v is None else f"{v:.3f}" for v in vals) + "\n")
    script = f"""
set terminal pngcairo size 900,500 noenhanced font ",11"
set output "{os.path.join(out, 'chart.png')}"
set title "Cold start: full pull (overlayfs) vs lazy (fastpull), median seconds"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key top left
set ylabel "seconds from fastpull run"
set yrange [0:*]
set grid ytics
plot "{data}" using 2:xtic(1) title "full pull: first log" lc rgb "#f4a582", \\
     "" using 3 title "full pull: ready/completion" lc rgb "#ca0020", \\
     "" using 4 title "lazy: first log" lc rgb "#92c5de", \\
     "" using 5 title "lazy: ready/completion" lc rgb "#0571b0"
"""
    try:
        subprocess.run(["gnuplot"], input=script.encode(), check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"report: no chart ({e}); install gnuplot-nox", file=sys.stderr)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("quickstart")
    q.add_argument("--lazy", required=True)
    q.add_argument("--lazy-bytes", type=int, required=True)
    q.add_argument("--normal", required=True)
    q.add_argument("--normal-bytes", type=int, required=True)
    q.add_argument("--oci-layout")
    q.add_argument("--tag")
    sub.add_parser("oneline")
    b = sub.add_parser("bench")
    b.add_argument("--runs", required=True)
    b.add_argument("--out", required=True)
    b.add_argument("--rate-bps", type=int, required=True)
    b.add_argument("--rate", required=True)
    b.add_argument("--latency-ms", type=float, required=True)
    b.add_argument("--count", type=int, required=True)
    a = p.parse_args()
    {"quickstart": quickstart, "oneline": oneline, "bench": bench}[a.cmd](a)


if __name__ == "__main__":
    main()
