#!/usr/bin/env python3
"""Helpers for bench/run.sh (Python 3 standard library only).

Subcommands:
  free-ports K [--base B] [--limit L]   print K free TCP ports on 127.0.0.1 (< L)
  wait-port PORT [--pid PID] [--timeout S]
                                        wait until 127.0.0.1:PORT accepts
  http-check PORT [--path P] [--timeout S]
                                        one GET through PORT, expect HTTP 200
  cpu-ticks PID                         utime+stime of PID in clock ticks
  noise-sample PID [CPU]                run delay (ns) of PID's threads, steal ticks of CPU
  parse-wrk FILE [--field k=v ...]      wrk --latency output -> one JSON line
  report RESULTS.jsonl [--meta k=v ...] Markdown report on stdout
"""

import argparse
import json
import math
import os
import re
import socket
import statistics
import sys
import time


# ---------------------------------------------------------------- ports


def port_is_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        return False
    finally:
        s.close()
    # Also make sure nothing answers there (e.g. bound to 0.0.0.0 elsewhere).
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.settimeout(0.2)
    try:
        c.connect(("127.0.0.1", port))
        return False
    except OSError:
        return True
    finally:
        c.close()


def cmd_free_ports(a):
    found = []
    port = a.base
    while len(found) < a.count and port < a.limit:
        if port_is_free(port):
            found.append(port)
        port += 1
    if len(found) < a.count:
        sys.exit("no free ports found between %d and %d" % (a.base, a.limit))
    print(" ".join(str(p) for p in found))


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return False


def cmd_wait_port(a):
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline:
        if a.pid and not pid_alive(a.pid):
            sys.exit("process %d exited before listening on %d" % (a.pid, a.port))
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.settimeout(0.5)
        try:
            c.connect(("127.0.0.1", a.port))
            return
        except OSError:
            time.sleep(0.05)
        finally:
            c.close()
    sys.exit("timeout waiting for 127.0.0.1:%d" % a.port)


def cmd_http_check(a):
    req = (
        "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % a.path
    ).encode()
    try:
        with socket.create_connection(("127.0.0.1", a.port), timeout=a.timeout) as raw:
            s = raw
            if a.tls:
                import ssl

                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                s = ctx.wrap_socket(raw, server_hostname="bench.test")
            s.settimeout(a.timeout)
            s.sendall(req)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError as e:
        sys.exit("http-check :%d%s failed: %s" % (a.port, a.path, e))
    status = data.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    if not re.match(r"HTTP/1\.[01] 200", status):
        sys.exit("http-check :%d%s: unexpected status line %r" % (a.port, a.path, status))


def cmd_cpu_ticks(a):
    with open("/proc/%d/stat" % a.pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After "pid (comm)": fields[0] is state (field 3), utime is field 14,
    # stime is field 15 -> indexes 11 and 12.
    print(int(fields[11]) + int(fields[12]))


def cmd_noise_sample(a):
    """Print "RUN_DELAY_NS STEAL_TICKS": the time all threads of PID spent
    runnable but waiting for a CPU (schedstat), and the hypervisor steal
    time of CPU.  Their growth during a run is time taken from the proxy by
    something else: noise."""
    delay = 0
    try:
        for tid in os.listdir("/proc/%d/task" % a.pid):
            try:
                with open("/proc/%d/task/%s/schedstat" % (a.pid, tid)) as f:
                    delay += int(f.read().split()[1])
            except (OSError, IndexError, ValueError):
                pass
    except OSError:
        pass
    steal = 0
    if a.cpu >= 0:
        with open("/proc/stat") as f:
            for line in f:
                parts = line.split()
                if parts[0] == "cpu%d" % a.cpu:
                    steal = int(parts[8])
                    break
    print(delay, steal)


# ---------------------------------------------------------------- wrk


UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def duration_ms(text):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        raise ValueError("bad wrk duration %r" % text)
    return float(m.group(1)) * UNIT_MS[m.group(2)]


def parse_wrk(text):
    out = {}
    m = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.M)
    out["rps"] = float(m.group(1)) if m else None
    m = re.search(r"^\s*(\d+) requests in ([0-9.]+\w+),", text, re.M)
    if m:
        out["requests"] = int(m.group(1))
        out["wrk_time_ms"] = duration_ms(m.group(2))
    lat = {}
    section = text.split("Latency Distribution", 1)
    if len(section) == 2:
        for pct, val in re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", section[1], re.M):
            try:
                lat[int(pct)] = duration_ms(val)
            except ValueError:
                pass
    out["p50_ms"] = lat.get(50)
    out["p99_ms"] = lat.get(99)
    errors = 0
    m = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    if m:
        errors = sum(int(x) for x in m.groups())
        out["socket_errors"] = {
            k: int(v) for k, v in zip(("connect", "read", "write", "timeout"), m.groups())
        }
    out["errors"] = errors
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["non2xx"] = int(m.group(1)) if m else 0
    return out


def coerce(v):
    for t in (int, float):
        try:
            return t(v)
        except ValueError:
            pass
    return v


def kv_pairs(items):
    d = {}
    for item in items or []:
        k, _, v = item.partition("=")
        d[k] = v
    return d


def cmd_parse_wrk(a):
    with open(a.file, errors="replace") as f:
        text = f.read()
    rec = parse_wrk(text)
    for k, v in kv_pairs(a.field).items():
        rec[k] = coerce(v)
    if rec.get("cpu_ticks") is not None and rec.get("clk_tck"):
        rec["cpu_s"] = rec["cpu_ticks"] / rec["clk_tck"]
        if rec.get("wall_s"):
            rec["cpu_pct"] = 100.0 * rec["cpu_s"] / rec["wall_s"]
        if rec.get("requests") and rec["cpu_s"] > 0:
            rec["req_per_cpu_s"] = rec["requests"] / rec["cpu_s"]
        if rec.get("run_delay_ns") is not None and rec.get("wall_s"):
            # Time the proxy was runnable but another task (or the
            # hypervisor) had its core: a noise indicator.
            waited = rec["run_delay_ns"] / 1e9 + rec.get("steal_ticks", 0) / rec["clk_tck"]
            rec["wait_pct"] = 100.0 * waited / rec["wall_s"]
    if rec["rps"] is None:
        rec["failed"] = "could not parse wrk output (see %s)" % a.file
    print(json.dumps(rec, sort_keys=True))


# ---------------------------------------------------------------- report


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt_num(v, digits=0):
    if v is None:
        return "n/a"
    if isinstance(v, float) and math.isnan(v):
        return "n/a"
    if digits == 0:
        return "{:,.0f}".format(v)
    return "{:,.{d}f}".format(v, d=digits)


def fmt_ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return "%.2f" % (a / b)


# (key, label, digits, better)
LOAD_METRICS = [
    ("rps", "req/s", 0, "higher"),
    ("p50_ms", "latency p50 (ms)", 3, "lower"),
    ("p99_ms", "latency p99 (ms)", 3, "lower"),
    ("cpu_s", "CPU time (s)", 2, "lower"),
    ("cpu_pct", "CPU (% of one core)", 1, "lower"),
    ("req_per_cpu_s", "req per CPU-second", 0, "higher"),
    ("wait_pct", "proxy waiting for its core (%, noise)", 1, "noise"),
]


NOISY_WAIT_PCT = 10


# Scenario pairs compared on our proxy alone: (numerator, denominator, title).
PAIRS = [
    ("applet-hello", "incore-return",
     "Applet vs in-core: `http-request use-service hello` / `http-request return`"),
    ("stick-track", "stick-none",
     "Stick tables: with / without `http-request track-sc0` over 100,000 keys"),
]


def applet_section(load, w):
    """Our proxy's numbers for each scenario pair run, and their ratio (the
    pair's scenarios run interleaved in the same run, see run_group)."""
    for num, den, title in PAIRS:
        a = [r for r in load if r["scenario"] == num and r["target"] == "proxy" and not r.get("failed")]
        b = [r for r in load if r["scenario"] == den and r["target"] == "proxy" and not r.get("failed")]
        if not a or not b:
            continue
        ref = [r for r in load if r["scenario"] == den and r["target"] == "haproxy" and not r.get("failed")]
        w("## %s" % title)
        w("")
        w("Same proxy binary, same load, measured in turn in the same run "
          "(medians of %d and %d measurements); ratio = %s / %s. HAProxy's "
          "%s is shown for reference." % (len(a), len(b), num, den, den))
        w("")
        head = "| metric | %s (proxy) | %s (proxy) | ratio %s/%s" % (num, den, num, den)
        if ref:
            head += " | %s (HAProxy)" % den
        w(head + " |")
        w("|" + "---|" * head.count("|"))
        for key, mlabel, digits, better in LOAD_METRICS:
            ma = median([r.get(key) for r in a])
            mb = median([r.get(key) for r in b])
            cells = [mlabel, fmt_num(ma, digits), fmt_num(mb, digits),
                     fmt_ratio(ma, mb) if better != "noise" else ""]
            if ref:
                cells.append(fmt_num(median([r.get(key) for r in ref]), digits))
            w("| " + " | ".join(cells) + " |")
        w("")
        ra = [r.get("rps") for r in a]
        rb = [r.get("rps") for r in b]
        w("Per-run req/s: %s: %s; %s: %s." % (
            num, ", ".join(fmt_num(v) for v in ra), den, ", ".join(fmt_num(v) for v in rb)))
        w("")


IDLE_NOTES = {
    "tcp": "idle TCP connections opened to each proxy (mode tcp, so each one "
           "also holds a connection to the backend); nothing is sent.",
    "http-fresh": "HTTP connections opened to each proxy (mode http); nothing is "
                  "sent (a client before its first byte).",
    "http-ka": "HTTP connections that each made one keep-alive request and read "
               "the answer, then stay open (a client between two requests).",
    "http-partial": "HTTP connections that each sent a partial request head "
                    "(`GET / HTTP/1.1` and a Host line, no final empty line).",
}


def idle_section(kind, idle, meta, targets, names, w):
    """The memory table of one idle kind."""
    by_t = {r["target"]: r for r in idle}
    n_req = meta.get("idle_requested")
    n = next((r.get("count") for r in idle if r.get("count")), None)
    w("## Memory per idle client connection (%s)" % kind)
    w("")
    note = "%s %s Bytes per connection = (VmRSS after - VmRSS before) / connections." % (
        fmt_num(n) if n else "?", IDLE_NOTES.get(kind, ""))
    if n_req and n and int(n_req) != int(n):
        note += (
            " Reduced from the requested %s because the open-files limit on this "
            "machine is %s (each connection costs the proxy 2 descriptors)."
            % (fmt_num(int(n_req)), meta.get("nofile", "?"))
        )
    w(note)
    w("")
    itargets = [t for t in targets if t in by_t] or list(by_t)
    head = "| metric | " + " | ".join(names.get(t, t) for t in itargets)
    both = "proxy" in by_t and "haproxy" in by_t
    if both:
        head += " | ratio proxy/HAProxy"
    w(head + " |")
    w("|" + "---|" * head.count("|"))

    def row(label, key, digits=0, ratio=True, scale=1.0):
        cells = []
        vals = {}
        for t in itargets:
            r = by_t[t]
            v = r.get(key)
            if v is None and r.get("failed"):
                cells.append("FAILED")
                vals[t] = None
                continue
            vals[t] = v / scale if v is not None else None
            cells.append(fmt_num(vals[t], digits))
        if both:
            cells.append(fmt_ratio(vals.get("proxy"), vals.get("haproxy")) if ratio else "")
        w("| %s | %s |" % (label, " | ".join(cells)))

    row("connections established", "connected", ratio=False)
    row("RSS before (KiB)", "rss_before_kb")
    row("RSS after (KiB)", "rss_after_kb")
    row("open fds after", "fds_after", ratio=False)
    row("time to open them all (s)", "connect_s", digits=2)
    row("**bytes per idle connection**", "bytes_per_conn")
    w("")



def cmd_report(a):
    meta = kv_pairs(a.meta)
    load, idle, failures = [], [], []
    with open(a.results) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            rec = json.loads(line)
            if rec.get("kind") == "idle":
                idle.append(rec)
            else:
                load.append(rec)
            if rec.get("failed"):
                failures.append(rec)

    targets = [t for t in meta.get("targets", "proxy haproxy").split() if t]
    names = {
        "proxy": meta.get("proxy_label", "proxy"),
        "haproxy": meta.get("haproxy_label", "HAProxy"),
        "direct": "backend direct (no proxy)",
    }
    out = []
    w = out.append
    w("# proxy vs HAProxy benchmark")
    w("")
    w("| | |")
    w("|---|---|")
    for key, label in (
        ("date", "date"),
        ("machine", "machine"),
        ("proxy_version", "proxy under test"),
        ("haproxy_version", "reference"),
        ("backend_version", "backend"),
        ("wrk_version", "load generator"),
        ("pinning", "pinning"),
        ("load", "load"),
        ("command", "command"),
    ):
        if meta.get(key):
            val = meta[key]
            if key == "command":
                val = "`%s`" % val
            w("| %s | %s |" % (label, val))
    w("")

    scenarios = []
    for rec in load:
        if rec["scenario"] not in scenarios:
            scenarios.append(rec["scenario"])

    def ran(sc, t):
        """Whether target t was meant to run scenario sc (measured or failed)."""
        return any(r["scenario"] == sc and r["target"] == t for r in load)
    if scenarios:
        w("## Load: %s" % meta.get("load_title", "wrk"))
        w("")
        w(
            "Medians over %s run(s) per side; ratio = %s / %s "
            "(req/s and req per CPU-second: higher is better; latency and CPU: "
            "lower is better)."
            % (meta.get("runs", "?"), names["proxy"], names["haproxy"])
        )
        w("")
        cols = [names[t] for t in targets]
        head = "| scenario | metric | " + " | ".join(cols)
        if "proxy" in targets and "haproxy" in targets:
            head += " | ratio proxy/HAProxy"
        w(head + " |")
        w("|" + "---|" * (head.count("|")))
        for sc in scenarios:
            per = {}
            for t in targets:
                per[t] = [
                    r for r in load
                    if r["scenario"] == sc and r["target"] == t and not r.get("failed")
                ]
            desc = next((r.get("desc") for r in load if r["scenario"] == sc), "")
            label = "%s" % sc + (" (%s)" % desc if desc else "")
            for i, (key, mlabel, digits, _better) in enumerate(LOAD_METRICS):
                row = ["**%s**" % label if i == 0 else "", mlabel]
                meds = {}
                for t in targets:
                    if not per[t]:
                        row.append("FAILED" if ran(sc, t) else "not run")
                        meds[t] = None
                        continue
                    meds[t] = median([r.get(key) for r in per[t]])
                    row.append(fmt_num(meds[t], digits))
                if "proxy" in targets and "haproxy" in targets:
                    row.append(fmt_ratio(meds["proxy"], meds["haproxy"])
                               if _better != "noise" else "")
                w("| " + " | ".join(row) + " |")
            # errors row: totals, only when something is off
            row = ["", "errors (socket / non-2xx, all runs)"]
            any_err = False
            for t in targets:
                e = sum(r.get("errors", 0) for r in per[t])
                n = sum(r.get("non2xx", 0) for r in per[t])
                any_err = any_err or e or n
                row.append("%d / %d" % (e, n) if per[t] else
                           ("FAILED" if ran(sc, t) else "not run"))
            if "proxy" in targets and "haproxy" in targets:
                row.append("")
            w("| " + " | ".join(row) + " |")
        w("")

        # per-run raw numbers, for judging noise
        w("<details><summary>Per-run numbers (req/s / CPU % / proxy waiting for "
          "its core %)</summary>")
        w("")
        short = {"proxy": "proxy", "haproxy": "HAProxy", "direct": "direct"}
        w("| scenario | run | order | " + " | ".join(short[t] for t in targets) + " |")
        w("|" + "---|" * (3 + len(targets)))
        reps = sorted({r["rep"] for r in load})
        for sc in scenarios:
            for rep in reps:
                rs = {r["target"]: r for r in load if r["scenario"] == sc and r["rep"] == rep}
                if not rs:
                    continue
                order = next((r.get("order") for r in rs.values() if r.get("order")), "")
                cells = []
                for t in targets:
                    r = rs.get(t)
                    if r is None and not ran(sc, t):
                        cells.append("not run")
                    elif r is None or r.get("failed"):
                        cells.append("FAILED")
                    elif r.get("cpu_pct") is None:
                        cells.append(fmt_num(r.get("rps")))
                    else:
                        cells.append("%s / %s / %s" % (
                            fmt_num(r.get("rps")), fmt_num(r.get("cpu_pct"), 1),
                            fmt_num(r.get("wait_pct"), 1)))
                w("| %s | %s | %s | %s |" % (sc, rep, order, " | ".join(cells)))
        w("")
        w("</details>")
        w("")

    applet_section(load, w)

    kinds = []
    for r in idle:
        k = r.get("idle_kind", "tcp")
        if k not in kinds:
            kinds.append(k)
    for kind in kinds:
        idle_section(kind, [r for r in idle if r.get("idle_kind", "tcp") == kind],
                     meta, targets, names, w)

    if failures:
        w("## Failures")
        w("")
        for r in failures:
            w("- %s / %s: %s" % (r.get("scenario", r.get("kind", "?")), r.get("target"), r["failed"]))
        w("")

    notes = [n for n in meta.get("notes", "").split("||") if n]
    retried = [r for r in load if (r.get("attempt") or 1) > 1]
    if retried:
        notes.append(
            "%d measurement(s) were repeated because the proxy waited more than %d%% "
            "of the time for its core; the least disturbed attempt is reported (all "
            "raw wrk outputs are kept)." % (len(retried), NOISY_WAIT_PCT))
    noisy = [r for r in load if (r.get("wait_pct") or 0) > NOISY_WAIT_PCT]
    if noisy:
        notes.append(
            "%d of %d measurements had the proxy waiting for its core more than %d%% "
            "of the time (%s): something else ran on that core, so treat those "
            "numbers as noise. Rerun on a quieter machine or with more --runs."
            % (len(noisy), len([r for r in load if r.get("wait_pct") is not None]),
               NOISY_WAIT_PCT,
               ", ".join("%s/%s run %s: %.0f%%" % (r["scenario"], r["target"], r["rep"],
                                                  r["wait_pct"]) for r in noisy)))
    if notes:
        w("## Notes")
        w("")
        for n in notes:
            w("- " + n)
        w("")
    sys.stdout.write("\n".join(out))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("free-ports")
    s.add_argument("count", type=int)
    s.add_argument("--base", type=int, default=20000)
    s.add_argument("--limit", type=int, default=32768)
    s.set_defaults(fn=cmd_free_ports)

    s = sub.add_parser("wait-port")
    s.add_argument("port", type=int)
    s.add_argument("--pid", type=int, default=0)
    s.add_argument("--timeout", type=float, default=10.0)
    s.set_defaults(fn=cmd_wait_port)

    s = sub.add_parser("http-check")
    s.add_argument("port", type=int)
    s.add_argument("--path", default="/")
    s.add_argument("--timeout", type=float, default=5.0)
    s.add_argument("--tls", action="store_true", help="speak TLS (certificate not checked)")
    s.set_defaults(fn=cmd_http_check)

    s = sub.add_parser("cpu-ticks")
    s.add_argument("pid", type=int)
    s.set_defaults(fn=cmd_cpu_ticks)

    s = sub.add_parser("noise-sample")
    s.add_argument("pid", type=int)
    s.add_argument("cpu", type=int, nargs="?", default=-1)
    s.set_defaults(fn=cmd_noise_sample)

    s = sub.add_parser("parse-wrk")
    s.add_argument("file")
    s.add_argument("--field", action="append", help="extra key=value for the record")
    s.set_defaults(fn=cmd_parse_wrk)

    s = sub.add_parser("report")
    s.add_argument("results")
    s.add_argument("--meta", action="append", help="key=value")
    s.set_defaults(fn=cmd_report)

    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
