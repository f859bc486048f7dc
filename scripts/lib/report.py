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
          + f", fetched {fmt_bytes(rec['bytes'])} (wall {rec['wall_seconds']:.1f} s)"
          + (f", weights read at {rec['read_bytes'] / rec['read_seconds'] / (1 << 20):.0f} MiB/s"
             if rec.get("read_seconds") else ""))


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
            early = median([r.get("bytes_by_first_log") for r in rs])
            if early is not None:
                row["bytes_by_first_log"] = int(early)
                row["first_log_limit_seconds"] = early * 8 / a.rate_bps
            summary.append(row)
    doc = {"settings": {"rate": a.rate, "rate_bps": a.rate_bps, "latency_ms_each_way": a.latency_ms,
                        "runs": a.count},
           "medians": summary, "runs": records}

    names = {"S": "S (busybox)", "L": "L (python + 2 GiB weights, unread)",
             "W": "W (python, reads the weights)"}
    lines = [f"Link: {a.rate} (tc tbf), {a.latency_ms:g} ms each way (userspace proxy); cold runs; "
             f"medians of {a.count} run(s).", "",
             "| image | mode | pull | container start | first log | ready / completion "
             "| fetched by first log | fetched in all | link time for all |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in summary:
        lines.append(f"| {names[row['image']]} | {dict(modes)[row['mode']]} | "
                     f"{fmt_s(row['pull_seconds'])} | {fmt_s(row['start_seconds'])} | "
                     f"{fmt_s(row['first_log_seconds'])} | {fmt_s(row['ready_seconds'])} | "
                     f"{fmt_bytes(row.get('bytes_by_first_log'))} | "
                     f"{fmt_bytes(row['bytes'])} | {fmt_s(row['link_seconds'])} |")
    lines += ratios(summary)
    reads = read_rates(records, a.rate_bps)
    doc["read_rates"] = reads
    lines += read_table(reads)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    chart(a.out, summary)


def ratios(summary):
    """The headline ratios, computed from the medians above (nothing when a row is missing)."""
    row = {(r["image"], r["mode"]): r for r in summary}
    out = []

    def get(image, mode, key):
        r = row.get((image, mode))
        return r.get(key) if r else None

    full_l, lazy_l = get("L", "normal", "first_log_seconds"), get("L", "lazy", "first_log_seconds")
    if full_l and lazy_l:
        out.append(f"- L, first log: full / lazy = {full_l / lazy_l:.1f}x")
        limit = get("L", "lazy", "first_log_limit_seconds")
        early = get("L", "lazy", "bytes_by_first_log")
        if limit:
            out.append(f"- L, lazy first log / physical limit ({fmt_bytes(early)} through the "
                       f"link by the first log line, at link rate: {limit:.2f} s) = "
                       f"{lazy_l / limit:.1f}x")
    full_w, lazy_w = get("W", "normal", "ready_seconds"), get("W", "lazy", "ready_seconds")
    if full_w and lazy_w:
        out.append(f"- W, completion: lazy / full = {lazy_w / full_w:.2f}")
    return ["", "Ratios (medians):", ""] + out if out else []


def read_rates(records, rate_bps):
    """Median read rates of the W weights file by kind of run, in MiB/s."""
    kinds = {"lazy": "lazy, cold (chunks fetched on demand)",
             "lazy-warm": "lazy, warm chunk cache (page cache dropped)",
             "normal-warm": "local disk via overlayfs (page cache dropped)"}
    out = {}
    for kind, label in kinds.items():
        rates = [r["read_bytes"] / r["read_seconds"] / (1 << 20) for r in records
                 if r["image"] == "W" and r["mode"] == kind and r.get("read_seconds")]
        if rates:
            out[kind] = {"label": label, "mib_per_s": median(rates), "runs": len(rates)}
    out["link_mib_per_s"] = rate_bps / 8 / (1 << 20)
    return out


def read_table(reads):
    if len(reads) <= 1:
        return []
    link = reads["link_mib_per_s"]
    disk = reads.get("normal-warm", {}).get("mib_per_s")
    lines = ["", "Reading W's 2 GiB weights file inside the container (median MiB/s):", "",
             "| read | MiB/s | of link rate | of local disk |", "|---|---:|---:|---:|"]
    for kind in ("lazy", "lazy-warm", "normal-warm"):
        r = reads.get(kind)
        if not r:
            continue
        of_link = f"{100 * r['mib_per_s'] / link:.0f}%" if kind == "lazy" else "-"
        of_disk = f"{100 * r['mib_per_s'] / disk:.0f}%" if disk and kind != "lazy" else "-"
        lines.append(f"| {r['label']} | {r['mib_per_s']:.0f} | {of_link} | {of_disk} |")
    lines.append(f"| link rate | {link:.0f} | 100% | - |")
    return lines


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
