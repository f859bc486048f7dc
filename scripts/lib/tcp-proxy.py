#!/usr/bin/python3
"""A TCP proxy that adds a fixed one-way delay and counts the bytes it carries.

    tcp-proxy.py --listen HOST:PORT --target HOST:PORT [--latency-ms N] [--stats FILE]

Every byte is delivered N ms after it arrived, in each direction, without limiting throughput
(a delay line per direction, bounded to 64 MiB in flight so a slow reader pushes back). A new
connection waits one round trip (2 N ms) before its first byte goes through, as a TCP handshake
over the same link would. The kernel's netem would do this, where it is available.

--stats FILE is rewritten (atomically, at most every 100 ms, and on exit) with
{"down": bytes target->client, "up": bytes client->target, "connections": n, "series":
[[unix time, down], ...]}: the series holds the last 3000 changes of "down", sampled every
100 ms, so a reader can tell how many bytes had come through by a given moment. Readers take
differences between two snapshots. SIGTERM or SIGINT stops the proxy.
"""
import argparse
import collections
import json
import os
import signal
import socket
import sys
import threading
import time

BUF = 256 * 1024
MAX_IN_FLIGHT = 64 * 1024 * 1024


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.down = 0
        self.up = 0
        self.connections = 0
        self.version = 0
        self.series = collections.deque(maxlen=3000)

    def add(self, field, n):
        with self.lock:
            setattr(self, field, getattr(self, field) + n)
            self.version += 1

    def snapshot(self):
        with self.lock:
            if not self.series or self.series[-1][1] != self.down:
                self.series.append((round(time.time(), 3), self.down))
            return self.version, {"down": self.down, "up": self.up, "connections": self.connections,
                                  "series": list(self.series)}


def write_stats(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.rename(tmp, path)


def stats_loop(path, counters, stop):
    last = -1
    while not stop.wait(0.1):
        version, data = counters.snapshot()
        if version != last:
            write_stats(path, data)
            last = version


def pump_direct(src, dst, counters, field):
    try:
        while True:
            buf = src.recv(BUF)
            if not buf:
                break
            dst.sendall(buf)
            counters.add(field, len(buf))
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        close_both(src, dst)


def pump_delayed(src, dst, counters, field, delay):
    """Reader side of a delay line; a writer thread delivers each piece `delay` s after it came."""
    queue = collections.deque()
    cond = threading.Condition()
    state = {"bytes": 0, "dead": False}

    def writer():
        try:
            while True:
                with cond:
                    while not queue:
                        cond.wait()
                    due, buf = queue.popleft()
                    if buf is not None:
                        state["bytes"] -= len(buf)
                    cond.notify_all()
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                if buf is None:
                    dst.shutdown(socket.SHUT_WR)
                    return
                dst.sendall(buf)
                counters.add(field, len(buf))
        except OSError:
            with cond:
                state["dead"] = True
                cond.notify_all()
            close_both(src, dst)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        while True:
            buf = src.recv(BUF)
            with cond:
                queue.append((time.monotonic() + delay, buf or None))
                if buf:
                    state["bytes"] += len(buf)
                cond.notify_all()
                while state["bytes"] > MAX_IN_FLIGHT and not state["dead"]:
                    cond.wait()
            if not buf or state["dead"]:
                break
    except OSError:
        with cond:
            queue.append((time.monotonic(), None))
            cond.notify_all()
    t.join()


def close_both(a, b):
    for s in (a, b):
        try:
            s.close()
        except OSError:
            pass


def serve(client, target, delay, counters):
    try:
        if delay > 0:
            time.sleep(2 * delay)
        upstream = socket.create_connection(target, timeout=30)
        upstream.settimeout(None)
    except OSError as e:
        print(f"tcp-proxy: cannot reach {target[0]}:{target[1]}: {e}", file=sys.stderr)
        client.close()
        return
    for s in (client, upstream):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    counters.add("connections", 1)
    pump = pump_delayed if delay > 0 else pump_direct
    args = (delay,) if delay > 0 else ()
    t = threading.Thread(target=pump, args=(client, upstream, counters, "up") + args, daemon=True)
    t.start()
    pump(upstream, client, counters, "down", *args)
    t.join()
    close_both(client, upstream)


def hostport(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, not {text!r}")
    return host, int(port)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", type=hostport, required=True)
    p.add_argument("--target", type=hostport, required=True)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--stats")
    a = p.parse_args()
    if a.latency_ms < 0:
        p.error(f"--latency-ms must be >= 0, not {a.latency_ms}")
    counters = Counters()
    stop = threading.Event()
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(a.listen)
    server.listen(128)

    def on_signal(signum, frame):
        stop.set()
        if a.stats:
            write_stats(a.stats, counters.snapshot()[1])
        os._exit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if a.stats:
        write_stats(a.stats, counters.snapshot()[1])
        threading.Thread(target=stats_loop, args=(a.stats, counters, stop), daemon=True).start()
    print(f"tcp-proxy: {a.listen[0]}:{a.listen[1]} -> {a.target[0]}:{a.target[1]}, "
          f"{a.latency_ms:g} ms each way", flush=True)
    while True:
        client, _ = server.accept()
        threading.Thread(target=serve, args=(client, a.target, a.latency_ms / 1000.0, counters),
                         daemon=True).start()


if __name__ == "__main__":
    main()
