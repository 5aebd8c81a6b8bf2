#!/usr/bin/env python3
"""bench/replication.py - stick-table replication (peers): proxy vs HAProxy 2.6.

For each implementation X in {proxy, haproxy}, two instances A and B of X run
the same haproxy.cfg (a `peers mypeers` section with peers A and B, a string
table `mypeers/t`, a frontend tracking `req.hdr(x-key)` in it), started with
`-L A` / `-L B`.  Per run and per X:

  live     wrk drives N distinct new keys (k0..k<N-1>, one request each) into
           A as fast as it can; the stats sockets of A and B are polled every
           --poll-ms for `used:`.  t0 = wrk start, tA / tB = first poll that
           sees all keys on A / on B.  Reports the insert rate on A
           (N / (tA - t0)), the replication lag (tB - tA), the replication
           throughput (N / (tB - t0)) and the CPU seconds of A and B.
  check    100 sampled keys have the same http_req_cnt and gpc0 on A and B.
  resync   B is stopped and started again (a fresh process); time from its
           start until it holds all N keys again (learned from A).
  check    the same sample against the new B.

Pairs run one after the other, the order alternating from run to run; the
report gives per-run values, medians and ratios.  See bench/README.md.

Usage: bench/replication.py [--quick] [--runs N] [--keys N] [--timeout S] ...
Env:   PROXY_BIN    binary under test (default: build target/release/proxy)
       HAPROXY_BIN  reference HAProxy (default: haproxy in PATH or /usr/sbin)
       PROXY_CPU    core(s) for A and B (default 1)
       PEER_B_CPU   core(s) for B alone (default: PROXY_CPU)
       LOAD_CPU     core(s) for wrk and the poller (default 0)

Standard library only, plus wrk and taskset.  All traffic on 127.0.0.1.
Exit status 1 when a phase times out, a process fails, or the check fails.
"""

import argparse
import datetime
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
sys.path.insert(0, BENCH_DIR)
sys.dont_write_bytecode = True  # no bench/__pycache__ from importing benchlib
import benchlib  # noqa: E402  (port_is_free, pid_alive, parse_wrk)

CLK_TCK = os.sysconf("SC_CLK_TCK")
TABLE = "mypeers/t"
IMPLS = ("proxy", "haproxy")
LABEL = {"proxy": "proxy", "haproxy": "HAProxy"}

STARTED = []  # Popen objects started by this script (stopped at exit)


def log(msg):
    sys.stderr.write("[repl %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def die(msg):
    log("ERROR: " + msg)
    sys.exit(1)


class PhaseFailed(Exception):
    """A phase did not complete: timeout, a process exited, a check failed."""


# ------------------------------------------------------------ processes


def stop_proc(p, sig=signal.SIGTERM, grace=5.0):
    """Stop one process this script started: SIG, then KILL after grace."""
    if p is None:
        return
    if p.poll() is None:
        try:
            p.send_signal(sig)
        except OSError:
            pass
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            try:
                p.kill()
            except OSError:
                pass
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
    if p in STARTED:
        STARTED.remove(p)


def cleanup():
    for p in list(STARTED):
        stop_proc(p, grace=2.0)


def cpu_ticks(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def core_sample(cpu):
    """(busy ticks, steal ticks) of one core from /proc/stat, or None."""
    if cpu is None:
        return None
    try:
        with open("/proc/stat") as f:
            for line in f:
                parts = line.split()
                if parts[0] == "cpu%d" % cpu:
                    v = [int(x) for x in parts[1:9]]
                    # user nice system idle iowait irq softirq steal
                    return v[0] + v[1] + v[2] + v[5] + v[6], v[7]
    except (OSError, ValueError, IndexError):
        pass
    return None


def free_ports(count, base):
    found, port = [], base
    while len(found) < count and port < 32768:
        if benchlib.port_is_free(port):
            found.append(port)
        port += 1
    if len(found) < count:
        die("no free ports found from %d" % base)
    return found


# ------------------------------------------------------------------- CLI


def cli(path, command, timeout=2.0):
    """One command on a stats socket (non-interactive mode: the server
    answers and closes).  None when the socket does not answer."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall(command.encode() + b"\n")
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks).decode("utf-8", "replace")
    except OSError:
        return None
    finally:
        s.close()


USED_RE = re.compile(r"^# table: %s,.*\bused:(\d+)" % re.escape(TABLE), re.M)


def table_used(path):
    out = cli(path, "show table")
    if out is None:
        return None
    m = USED_RE.search(out)
    return int(m.group(1)) if m else None


def key_entry(path, key):
    """{'http_req_cnt': .., 'gpc0': ..} for KEY, {} when absent, None when
    the socket does not answer."""
    out = cli(path, "show table %s key %s" % (TABLE, key))
    if out is None:
        return None
    for line in out.splitlines():
        if " key=%s " % key in line + " ":
            d = dict(re.findall(r"\b(\w+)=(\S+)", line))
            return {k: d.get(k) for k in ("http_req_cnt", "gpc0")}
    return {}


# ------------------------------------------------------------------ HTTP


def http_get(port, headers=None, timeout=3.0):
    hdr = "".join("%s: %s\r\n" % kv for kv in (headers or {}).items())
    req = ("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n" % hdr).encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(req)
            data = b""
            while len(data) < 65536:
                b = s.recv(65536)
                if not b:
                    break
                data += b
    except OSError as e:
        return "error: %s" % e
    return data.split(b"\r\n", 1)[0].decode("latin-1", "replace")


# ---------------------------------------------------------------- config


CONFIG = """\
# bench/replication.py: one file for both peers; -L A / -L B picks the
# local peer, ${{HAPROXY_LOCALPEER}} names its stats socket and
# ${{REPL_FE_PORT}} (set per instance) its frontend port.
global
    nbthread 1
    maxconn 4096
    stats socket "{dir}/${{HAPROXY_LOCALPEER}}.sock" level admin

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

peers mypeers
    peer A 127.0.0.1:{pa}
    peer B 127.0.0.1:{pb}
    table t type string len 32 size 200k expire 10m store http_req_cnt,gpc0

frontend fe
    bind 127.0.0.1:"${{REPL_FE_PORT}}"
    http-request track-sc0 req.hdr(x-key) table mypeers/t
    http-request return status 200 content-type text/plain string ok
"""

# Each wrk thread owns a slice of k0..k<KEYS-1> and sends each key once;
# when its slice is done it sends one request without x-key (no tracking)
# and stops itself.  Nothing else reaches A after that.  The first call in
# thread 0 is wrk's own check of the script (it never goes out), so it gets
# an untracked request; if a wrk version does not make that call, one
# untracked request goes out instead, which changes nothing in the table.
WRK_LUA = """\
-- generated by bench/replication.py: every request tracks a new key
local KEYS, THREADS = {keys}, {threads}
local next_id = 0
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end
local n, last, probe = 0, 0, false
function init(args)
  local id = tonumber(tid) or 0
  local per, rem = math.floor(KEYS / THREADS), KEYS % THREADS
  n = id * per + math.min(id, rem)
  last = n + per + ((id < rem) and 1 or 0)
  -- wrk calls request() once in thread 0 before the run to check it
  -- (script_verify_request): that call must not use up a key.
  probe = (id == 0)
end
function request()
  if probe then
    probe = false
    return wrk.format(nil, "/probe")
  end
  if n >= last then
    wrk.thread:stop()
    return wrk.format(nil, "/done")
  end
  local r = wrk.format(nil, nil, {{ ["x-key"] = "k" .. n }})
  n = n + 1
  return r
end
"""


class Ctx:
    """Settings shared by all phases."""

    def __init__(self, a, run_dir, bins):
        self.a = a
        self.run_dir = run_dir
        self.bins = bins
        self.poll = a.poll_ms / 1000.0
        self.core = None  # the one core A and B share, for the noise indicator
        self.load_core = None  # the one core of wrk and the poller
        ncpu = os.cpu_count() or 1
        prio = []
        if not a.no_renice:
            r = subprocess.run(["nice", "-n", "-10", "true"], capture_output=True)
            if r.returncode == 0 and not r.stderr:
                prio = ["nice", "-n", "-10"]
        self.priority = "nice -10 for A, B and wrk" if prio else "normal (nice 0)"
        if ncpu >= 2:
            pcpu = os.environ.get("PROXY_CPU", "1")
            bcpu = os.environ.get("PEER_B_CPU", pcpu)
            lcpu = os.environ.get("LOAD_CPU", "0")
            self.pin = {"A": prio + ["taskset", "-c", pcpu], "B": prio + ["taskset", "-c", bcpu]}
            self.pin_load = prio + ["taskset", "-c", lcpu]
            if lcpu.isdigit():
                self.load_core = int(lcpu)
            if bcpu == pcpu:
                if pcpu.isdigit():
                    self.core = int(pcpu)
                self.pinning = ("A and B share core %s; wrk and the poller (this script) "
                                "on core %s" % (pcpu, lcpu))
            else:
                self.pinning = ("A on core %s, B on core %s; wrk and the poller (this "
                                "script) on core %s" % (pcpu, bcpu, lcpu))
            try:  # the poller follows the load generator
                os.sched_setaffinity(0, {int(c) for c in lcpu.split(",")})
            except (ValueError, OSError):
                pass
        else:
            self.pin = {"A": prio, "B": prio}
            self.pin_load = prio
            self.pinning = "none (only one CPU): numbers are not meaningful"


class Pair:
    """Instances A and B of one implementation, on fresh ports."""

    def __init__(self, ctx, impl, rep, attempt=1):
        self.ctx, self.impl, self.rep = ctx, impl, rep
        self.tag = "%s-run%d" % (impl, rep) + ("-try%d" % attempt if attempt > 1 else "")
        self.dir = os.path.join(ctx.run_dir, self.tag)
        os.makedirs(self.dir, exist_ok=True)
        base = 20000 + (os.getpid() % 400) * 25
        pa, pb, fa, fb = free_ports(4, base)
        self.fe = {"A": fa, "B": fb}
        self.cfg = os.path.join(self.dir, "haproxy.cfg")
        with open(self.cfg, "w") as f:
            f.write(CONFIG.format(dir=self.dir, pa=pa, pb=pb))
        self.procs = {}
        self.nstart = {"A": 0, "B": 0}
        self.backlog = None

    def sock(self, name):
        return os.path.join(self.dir, name + ".sock")

    def env(self, name):
        return dict(os.environ, REPL_FE_PORT=str(self.fe[name]))

    def check_config(self):
        for name in ("A", "B"):
            r = subprocess.run([self.ctx.bins[self.impl], "-c", "-f", self.cfg, "-L", name],
                               env=self.env(name), capture_output=True, text=True, timeout=30)
            if r.returncode != 0:
                out = (r.stdout + r.stderr).strip().splitlines()
                raise PhaseFailed("config check (-c -L %s) failed: %s"
                                  % (name, " / ".join(out[-4:]) or "exit %d" % r.returncode))

    def start(self, name):
        """Start instance NAME; returns its Popen at once (no waiting)."""
        self.nstart[name] += 1
        logf = open(os.path.join(self.dir, "%s-%d.log" % (name, self.nstart[name])), "w")
        cmd = self.ctx.pin[name] + [self.ctx.bins[self.impl], "-f", self.cfg, "-db", "-L", name]
        p = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, env=self.env(name))
        logf.close()
        STARTED.append(p)
        self.procs[name] = p
        return p

    def log_path(self, name):
        return os.path.relpath(os.path.join(self.dir, "%s-%d.log" % (name, self.nstart[name])), ROOT)

    def alive(self, name):
        p = self.procs.get(name)
        if p is None or p.poll() is not None:
            raise PhaseFailed("instance %s exited (status %s; log: %s)"
                              % (name, None if p is None else p.returncode, self.log_path(name)))

    def wait_ready(self, name, timeout=10.0):
        """Until the frontend accepts and the stats socket answers."""
        deadline = time.monotonic() + timeout
        fe_ok = cli_ok = False
        while time.monotonic() < deadline:
            self.alive(name)
            if not fe_ok:
                try:
                    socket.create_connection(("127.0.0.1", self.fe[name]), timeout=0.5).close()
                    fe_ok = True
                except OSError:
                    pass
            if fe_ok and not cli_ok:
                cli_ok = table_used(self.sock(name)) is not None
            if fe_ok and cli_ok:
                return
            time.sleep(0.05)
        raise PhaseFailed("instance %s not ready after %.0f s (frontend %s, stats socket %s; log: %s)"
                          % (name, timeout, "up" if fe_ok else "down",
                             "answers with the table" if cli_ok else "does not list %s" % TABLE,
                             self.log_path(name)))

    def save_show_peers(self, tag):
        """`show peers` of every running instance, kept for diagnosis
        (reconnections, errors): <dir>/show-peers-<tag>-<name>.txt."""
        for name in self.procs:
            out = cli(self.sock(name), "show peers")
            with open(os.path.join(self.dir, "show-peers-%s-%s.txt" % (tag, name)), "w") as f:
                f.write(out if out is not None else "(no answer)\n")

    def stop(self, name):
        stop_proc(self.procs.pop(name, None))

    def stop_all(self):
        for name in list(self.procs):
            self.stop(name)


FINE_POLL = 0.001  # seconds between polls close to the end (see poll_until)
NOISY_PCT = 10  # a run with more noise than this (% of the live phase) is redone


def poll_until(pair, names, target, deadline, what, on_reach=None, fine_until_first=False,
               trace=None):
    """Poll `show table` on every instance in NAMES until each holds TARGET
    entries.  Returns ({name: time of the poll that first saw TARGET},
    {name: time of its first answer}).  Times are time.monotonic() when the
    answer arrived.

    Polls run every --poll-ms, but every FINE_POLL once an instance is
    predicted (from its last two counts) to reach TARGET within two
    intervals, and, with FINE_POLL_UNTIL_FIRST, until its stats socket first
    answers: that keeps tA, tB and the resync end precise to about a
    millisecond while the polling costs little the rest of the time."""
    seen, first, last, hist = {}, {}, {}, {n: [] for n in names}
    poll = pair.ctx.poll
    backlog = None  # max of used(names[0]) - used(names[1]) seen in one round
    while True:
        for name in names:
            if name in seen:
                continue
            pair.alive(name)
            u = table_used(pair.sock(name))
            t = time.monotonic()
            last[name] = u
            if trace is not None:
                trace.append((t, name, u))
            if u is None:
                continue
            first.setdefault(name, t)
            hist[name] = (hist[name] + [(t, u)])[-2:]
            if u >= target:
                seen[name] = t
                if on_reach:
                    on_reach(name, t)
        if len(names) == 2:
            cur = [target if n in seen else last.get(n) for n in names]
            if None not in cur:
                backlog = max(backlog or 0, cur[0] - cur[1])
        if len(seen) == len(names):
            pair.backlog = backlog
            return seen, first
        if time.monotonic() > deadline:
            raise PhaseFailed("%s: not done after %g s: %s" % (
                what, pair.ctx.a.timeout, ", ".join(
                    "%s used %s/%d%s" % (n, last.get(n), target,
                                         " (reached)" if n in seen else "")
                    for n in names)))
        pause = poll
        for name in names:
            h = hist[name]
            if name in seen:
                continue
            if not h and fine_until_first:
                pause = FINE_POLL
            elif len(h) == 2 and h[1][0] > h[0][0]:
                rate = (h[1][1] - h[0][1]) / (h[1][0] - h[0][0])
                if rate > 0 and (target - h[1][1]) / rate < 2 * poll:
                    pause = FINE_POLL
        time.sleep(pause)


def compare_sample(pair, keys, b_name="B", settle=3.0):
    """Compare http_req_cnt and gpc0 of KEYS on A and B.  Entries that
    differ are re-read for up to SETTLE seconds (values still in flight).
    Returns (mismatches, a_not_one, examples)."""
    sa, sb = pair.sock("A"), pair.sock(b_name)
    limit = time.monotonic() + pair.ctx.a.timeout
    a_vals = {}
    for k in keys:
        if time.monotonic() > limit:
            raise PhaseFailed("check: reading %d keys from A took more than %g s"
                              % (len(keys), pair.ctx.a.timeout))
        a_vals[k] = key_entry(sa, k)
    a_not_one = sum(1 for v in a_vals.values() if not v or v.get("http_req_cnt") != "1")
    pending = list(keys)
    deadline = time.monotonic() + settle
    bad = {}
    while True:
        bad = {}
        for k in pending:
            vb = key_entry(sb, k)
            if vb != a_vals[k]:
                bad[k] = (a_vals[k], vb)
        if not bad or time.monotonic() > min(deadline, limit):
            break
        pending = list(bad)
        time.sleep(0.2)
    ex = ["%s: A %s, B %s" % (k, va, vb) for k, (va, vb) in list(bad.items())[:3]]
    return len(bad), a_not_one, ex


def longest_stall(trace, name, target):
    """Longest time (s) NAME's count stayed the same while below TARGET, from
    the poll trace [(t, name, used)]: a stalled replication."""
    longest, since, prev = 0.0, None, None
    for t, n, u in trace:
        if n != name or u is None:
            continue
        if u != prev:
            since, prev = t, u
        elif u < target:
            longest = max(longest, t - since)
    return longest


def self_cpu_s():
    t = os.times()
    return t.user + t.system


def run_pair(ctx, impl, rep, order, attempt=1):
    """One run of one implementation; returns a result dict."""
    a = ctx.a
    res = {"impl": impl, "rep": rep, "order": order, "keys": a.keys, "attempt": attempt}
    pair = Pair(ctx, impl, rep, attempt)
    res["dir"] = os.path.relpath(pair.dir, ROOT)
    phase = "start"
    try:
        pair.check_config()
        pair.start("A")
        pair.start("B")
        pair.wait_ready("A")
        pair.wait_ready("B")

        # Warm-up: one tracked key, so that the live phase starts with the
        # peer session up.  The baseline count includes it.
        phase = "warm-up"
        t = time.monotonic()
        st = http_get(pair.fe["A"], {"x-key": "warmup"})
        if not re.match(r"HTTP/1\.[01] 200", st):
            raise PhaseFailed("warm-up GET on A: %r" % st)
        poll_until(pair, ["A", "B"], 1, t + a.timeout,
                   "warm-up: the one key sent to A did not show on B (no peer session?)")
        res["warmup_s"] = time.monotonic() - t
        base = table_used(pair.sock("A"))
        target = base + a.keys
        res["base"] = base

        # ------------------------------------------------ live replication
        phase = "live"
        lua = os.path.join(pair.dir, "keys.lua")
        with open(lua, "w") as f:
            f.write(WRK_LUA.format(keys=a.keys, threads=a.threads))
        wrk_out = os.path.join(pair.dir, "wrk.txt")
        pa, pb = pair.procs["A"].pid, pair.procs["B"].pid
        ca0, cb0 = cpu_ticks(pa), cpu_ticks(pb)
        core0 = core_sample(ctx.core)
        load0, self0 = core_sample(ctx.load_core), self_cpu_s()
        cmd = ctx.pin_load + [ctx.wrk, "-t%d" % a.threads, "-c%d" % a.connections,
                              "-d%ds" % (int(a.timeout) + 5), "-s", lua,
                              "http://127.0.0.1:%d/" % pair.fe["A"]]
        with open(wrk_out, "w") as wf:
            t0 = time.monotonic()
            wrk = subprocess.Popen(cmd, stdout=wf, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        STARTED.append(wrk)
        marks, trace = {}, []

        def reached(name, t):
            if name == "A":  # all keys are in A: wrk is done, let it exit
                marks["cpu_a"] = cpu_ticks(pa)
                marks["cpu_wrk"] = cpu_ticks(wrk.pid)
                marks["load1"], marks["self1"] = core_sample(ctx.load_core), self_cpu_s()
                wrk.send_signal(signal.SIGINT)
        try:
            seen, _ = poll_until(pair, ["A", "B"], target, t0 + a.timeout,
                                 "live replication", on_reach=reached, trace=trace)
        except PhaseFailed as e:
            early = wrk.poll() is not None
            stop_proc(wrk, sig=signal.SIGINT, grace=5.0)
            with open(wrk_out, errors="replace") as f:
                w = benchlib.parse_wrk(f.read())
            raise PhaseFailed("%s (wrk%s: %s responses, %s socket errors, %s non-2xx; %s)" % (
                e, " exited early" if early and "cpu_a" not in marks else "",
                w.get("requests"), w.get("errors"), w.get("non2xx"),
                os.path.relpath(wrk_out, ROOT)))
        finally:
            stop_proc(wrk, sig=signal.SIGINT, grace=5.0)
            with open(os.path.join(pair.dir, "live-polls.csv"), "w") as f:
                f.write("seconds_since_t0,instance,used\n")
                for t, name, u in trace:
                    f.write("%.4f,%s,%s\n" % (t - t0, name, "" if u is None else u))
        ca2, cb2 = cpu_ticks(pa), cpu_ticks(pb)
        core1 = core_sample(ctx.core)
        pair.save_show_peers("live")
        t3 = time.monotonic()
        if core0 and core1:
            # Time A and B's core was busy with something else than A and B
            # (other processes, interrupts), or stolen by the hypervisor: noise.
            other = (core1[0] - core0[0]) - (ca2 - ca0) - (cb2 - cb0) + (core1[1] - core0[1])
            res["other_on_core_pct"] = max(0.0, 100.0 * other / CLK_TCK / (t3 - t0))
        # B cannot hold a key A does not have: if the poll saw B complete
        # first (A finished between its poll and B's), A was complete by tB.
        tA, tB = min(seen["A"], seen["B"]), seen["B"]
        load1 = marks.get("load1")
        if load0 and load1 and marks.get("cpu_wrk") is not None:
            # The same for the load core from t0 to tA, minus wrk and this script.
            other = ((load1[0] - load0[0]) + (load1[1] - load0[1]) - marks["cpu_wrk"]
                     - (marks["self1"] - self0) * CLK_TCK)
            res["other_on_load_core_pct"] = max(0.0, 100.0 * other / CLK_TCK / (tA - t0))
        res["stall_ms"] = longest_stall(trace, "B", target) * 1000.0
        res["noise_pct"] = max([res.get("other_on_core_pct") or 0.0,
                                res.get("other_on_load_core_pct") or 0.0])
        with open(wrk_out, errors="replace") as f:
            w = benchlib.parse_wrk(f.read())
        res.update({
            "insert_s": tA - t0,
            "insert_rate": a.keys / (tA - t0),
            "lag_ms": (tB - tA) * 1000.0,
            "repl_s": tB - t0,
            "backlog_max": pair.backlog,
            "repl_rate": a.keys / (tB - t0),
            "cpu_a_s": (ca2 - ca0) / CLK_TCK,
            "cpu_a_insert_s": (marks["cpu_a"] - ca0) / CLK_TCK,
            "cpu_b_s": (cb2 - cb0) / CLK_TCK,
            "wrk_cpu_pct": (100.0 * marks["cpu_wrk"] / CLK_TCK / (tA - t0)
                            if marks.get("cpu_wrk") is not None else None),
            "wrk_requests": w.get("requests"),
            "wrk_errors": w.get("errors", 0),
            "wrk_non2xx": w.get("non2xx", 0),
        })
        if res["cpu_b_s"] > 0:
            res["b_updates_per_cpu_s"] = a.keys / res["cpu_b_s"]

        # ---------------------------------------------- check after live
        phase = "check (live)"
        rnd = random.Random(1000 + rep)
        sample = ["k%d" % i for i in rnd.sample(range(a.keys), min(a.sample, a.keys))]
        mm, a_bad, ex = compare_sample(pair, sample)
        res.update({"check_live_mismatch": mm, "check_live_a_not_one": a_bad})
        if ex:
            res["check_live_examples"] = ex

        # ------------------------------------------------------ resync
        phase = "resync"
        pair.stop("B")
        try:
            os.unlink(pair.sock("B"))  # stale socket of the old B
        except OSError:
            pass
        ca0 = cpu_ticks(pa)
        t1 = time.monotonic()
        pb2 = pair.start("B").pid
        seen, first = poll_until(pair, ["B"], target, t1 + a.timeout, "resync (new B)",
                                 fine_until_first=True)
        t2, t_cli = seen["B"], first["B"]
        ca1, cb1 = cpu_ticks(pa), cpu_ticks(pb2)
        pair.save_show_peers("resync")
        res.update({
            "resync_s": t2 - t1,
            "resync_rate": a.keys / (t2 - t1),
            "resync_cli_s": t_cli - t1,
            "resync_cpu_a_s": (ca1 - ca0) / CLK_TCK,
            "resync_cpu_b_s": cb1 / CLK_TCK if cb1 is not None else None,
            # all keys were there at the first answer of the new B's stats
            # socket: the resync ended earlier, resync_s is an upper bound
            "resync_at_first_answer": t2 == t_cli,
        })

        phase = "check (resync)"
        mm, a_bad, ex = compare_sample(pair, sample)
        res.update({"check_resync_mismatch": mm})
        if ex:
            res["check_resync_examples"] = ex
        bad = []
        if res["check_live_mismatch"]:
            bad.append("%d/%d sampled keys differ between A and B after the live phase (%s)"
                       % (res["check_live_mismatch"], len(sample),
                          "; ".join(res.get("check_live_examples", []))))
        if mm:
            bad.append("%d/%d sampled keys differ between A and the resynced B (%s)"
                       % (mm, len(sample), "; ".join(ex)))
        if res["check_live_a_not_one"]:
            bad.append("%d/%d sampled keys do not show http_req_cnt=1 on A (each got "
                       "one request)" % (res["check_live_a_not_one"], len(sample)))
        if bad:
            res["failed"] = "check: " + "; ".join(bad)
            res["failed_phase"] = "check"
    except PhaseFailed as e:
        res["failed"] = str(e)
        res["failed_phase"] = phase
    except subprocess.TimeoutExpired as e:
        res["failed"] = "command timed out: %s" % e
        res["failed_phase"] = phase
    finally:
        pair.stop_all()
    return res


# ---------------------------------------------------------------- report


def med(rs, key):
    vals = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def fmt(v, digits=0):
    if v is None:
        return "n/a"
    if digits == 0:
        return "{:,.0f}".format(v)
    return "{:,.{d}f}".format(v, d=digits)


# (key, label, digits, better); the ratio is proxy/HAProxy when higher is
# better and HAProxy/proxy when lower is better, so > 1 always favours proxy.
METRICS = [
    ("live", "insert rate on A (keys/s)", "insert_rate", 0, "higher"),
    ("live", "replication lag tB - tA (ms)", "lag_ms", 1, "lower"),
    ("live", "B behind A: most keys missing on B at one poll (lower bound)", "backlog_max", 0, "lower"),
    ("live", "longest time B's count did not move while behind (ms)", "stall_ms", 0, "lower"),
    ("live", "worst run: replication lag (ms)", "lag_ms", 1, "lower-max"),
    ("live", "worst run: longest time B's count did not move (ms)", "stall_ms", 0, "lower-max"),
    ("live", "replication throughput N / (tB - t0) (updates/s)", "repl_rate", 0, "higher"),
    ("live", "time to all keys on B, tB - t0 (s)", "repl_s", 3, "lower"),
    ("live", "CPU of A, t0..tB (s)", "cpu_a_s", 2, "lower"),
    ("live", "CPU of B, t0..tB (s)", "cpu_b_s", 2, "lower"),
    ("live", "B: updates applied per CPU-second", "b_updates_per_cpu_s", 0, "higher"),
    ("live", "wrk CPU, t0..tA (% of its core; ~100 = load-bound)", "wrk_cpu_pct", 0, "info"),
    ("live", "A/B's core busy with other work or stolen (%, noise)", "other_on_core_pct", 1, "info"),
    ("live", "load core busy with other work or stolen, t0..tA (%, noise)",
     "other_on_load_core_pct", 1, "info"),
    ("resync", "time from B's start to all keys on B (s)", "resync_s", 3, "lower"),
    ("resync", "resync rate (keys/s)", "resync_rate", 0, "higher"),
    ("resync", "B's stats socket answers after (s)", "resync_cli_s", 3, "lower"),
    ("resync", "CPU of A during resync (s)", "resync_cpu_a_s", 2, "lower"),
    ("resync", "CPU of the new B until synced (s)", "resync_cpu_b_s", 2, "lower"),
]


def ratio(p, h, better):
    if better == "info":
        return ""
    if p is None or h is None:
        return "n/a"
    num, den = (p, h) if better == "higher" else (h, p)
    if den == 0:
        return "n/a"
    return "%.2f" % (num / den)


def report(ctx, results, meta):
    a = ctx.a
    out = []
    w = out.append
    w("# Stick-table replication (peers): proxy vs HAProxy")
    w("")
    w("| | |")
    w("|---|---|")
    for k in ("date", "machine", "proxy", "haproxy", "load", "pinning", "priority", "command"):
        if meta.get(k):
            w("| %s | %s |" % (k if k not in ("proxy", "haproxy") else
                               ("proxy under test" if k == "proxy" else "reference"), meta[k]))
    w("")
    ok = {i: [r for r in results if r["impl"] == i and not r.get("failed")] for i in IMPLS}
    ran = {i: [r for r in results if r["impl"] == i] for i in IMPLS}
    w("## Medians over %d run(s)" % a.runs)
    w("")
    w("**Ratio: > 1 means our proxy is better.** For rates (higher is better) "
      "it is proxy / HAProxy; for times, lag and CPU seconds (lower is better) "
      "it is HAProxy / proxy. Times come from polling `show table` on the stats "
      "sockets every %d ms, and every %g ms close to the end, so they are precise to "
      "about a millisecond plus the time the CLI takes to answer; lags of a few ms "
      "are at that resolution and their ratio means little. Rows marked \"worst run\" "
      "give the largest value over the runs instead of the median." % (a.poll_ms, FINE_POLL * 1000))
    w("")
    w("| phase | metric | better | proxy | HAProxy | ratio (>1 = proxy better) |")
    w("|---|---|---|---|---|---|")

    def agg(i, key, better):
        if better.endswith("-max"):
            vals = [r[key] for r in ok[i] if r.get(key) is not None]
            return max(vals) if vals else None
        return med(ok[i], key)

    def cell(i, key, digits, better):
        if ok[i]:
            return fmt(agg(i, key, better), digits)
        return "FAILED" if ran[i] else "not run"

    for phase, label, key, digits, kind in METRICS:
        p = agg("proxy", key, kind) if ok["proxy"] else None
        h = agg("haproxy", key, kind) if ok["haproxy"] else None
        better = kind.replace("-max", "")
        how = {"higher": " (proxy/HAProxy)", "lower": " (HAProxy/proxy)"}.get(better, "")
        w("| %s | %s | %s | %s | %s | %s%s |" % (
            phase, label, better if better != "info" else "",
            cell("proxy", key, digits, kind), cell("haproxy", key, digits, kind),
            ratio(p, h, better), how))
    w("| check | sampled keys differing A vs B, live / after resync (all runs) | 0 | %s | %s | |" % tuple(
        "%d / %d" % (sum(r.get("check_live_mismatch", 0) for r in ran[i]),
                     sum(r.get("check_resync_mismatch", 0) for r in ran[i]))
        if any("check_live_mismatch" in r for r in ran[i]) else ("FAILED" if ran[i] else "not run")
        for i in IMPLS))
    w("| load | wrk socket errors / non-2xx (all runs) | 0 | %s | %s | |" % tuple(
        "%d / %d" % (sum(r.get("wrk_errors", 0) or 0 for r in ran[i]),
                     sum(r.get("wrk_non2xx", 0) or 0 for r in ran[i]))
        if any("wrk_requests" in r for r in ran[i]) else ("FAILED" if ran[i] else "not run")
        for i in IMPLS))
    w("")

    w("## Per run")
    w("")
    w("| run | order | impl | insert keys/s | lag ms | stall ms | repl updates/s | tB-t0 s | CPU A s | "
      "CPU B s | noise % A/B core, load core | resync s | resync keys/s | wrk requests | "
      "differing keys live/resync |")
    w("|" + "---|" * 15)
    for r in sorted(results, key=lambda r: (r["rep"], r["order"].index(r["impl"]))):
        if r.get("failed") and r.get("failed_phase") != "check":
            w("| %d | %s | %s | FAILED in %s: %s |%s" % (
                r["rep"], r["order"].replace(" ", " → "), LABEL[r["impl"]], r["failed_phase"],
                r["failed"].replace("|", "/"), " |" * 11))
            continue
        w("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |" % (
            r["rep"], r["order"].replace(" ", " → "), LABEL[r["impl"]],
            fmt(r.get("insert_rate")), fmt(r.get("lag_ms"), 1), fmt(r.get("stall_ms")),
            fmt(r.get("repl_rate")),
            fmt(r.get("repl_s"), 3), fmt(r.get("cpu_a_s"), 2), fmt(r.get("cpu_b_s"), 2),
            "%s, %s" % (fmt(r.get("other_on_core_pct"), 1),
                        fmt(r.get("other_on_load_core_pct"), 1)),
            fmt(r.get("resync_s"), 3), fmt(r.get("resync_rate")), fmt(r.get("wrk_requests")),
            r.get("check_live_mismatch", "n/a"), r.get("check_resync_mismatch", "n/a")))
    w("")
    fails = [r for r in results if r.get("failed")]
    skipped = meta.get("skipped") or []
    if fails or skipped:
        w("## Failures")
        w("")
        for r in fails:
            w("- %s run %d, phase %s: %s (files: %s)" % (
                LABEL[r["impl"]], r["rep"], r["failed_phase"], r["failed"], r["dir"]))
        for s in skipped:
            w("- " + s)
        w("")
    w("## Notes")
    w("")
    w("- Each run starts fresh A and B (one config, `-L A` / `-L B`, `nbthread 1`), "
      "sends one tracked `warmup` key so that the peer session is up, then wrk "
      "(`-t%d -c%d`, keep-alive) sends each key `k0`..`k%d` exactly once to A "
      "and stops. t0 = wrk start; tA, tB = first poll of `show table` that shows all "
      "keys (plus the warm-up key) on A, on B." % (a.threads, a.connections, a.keys - 1))
    w("- Resync: B is stopped (SIGTERM), its stale stats socket removed, and a new B "
      "started at once; the time runs from its start (process start-up included) to "
      "the first poll that shows all keys on it.")
    w("- Check: %d keys sampled at random; `show table %s key <k>` on A and on B must "
      "give the same `http_req_cnt` and `gpc0` (differences are re-read for 3 s). "
      "Every key got one request, so A should say `http_req_cnt=1`."
      % (min(a.sample, a.keys), TABLE))
    if ctx.pinning.startswith("A and B share"):
        w("- A and B share one core: the CPU that B spends applying updates is taken "
          "from A's insert rate, for both implementations alike. wrk and the poller "
          "share the other core; when wrk's CPU nears 100 %, the load generator "
          "limits the insert rate.")
    w("- Noise: the share of the live phase during which A and B's core (t0..tB), or "
      "the load core (t0..tA), was busy with something else than A, B, wrk and this "
      "script (other processes, interrupts) or stolen by the hypervisor. A run above "
      "%d %% is measured again, up to --noisy-retries times (%d), and the least "
      "disturbed attempt is kept." % (NOISY_PCT, a.noisy_retries))
    retried = meta.get("retried") or []
    if retried:
        w("- Measured again because of noise: %s." % ", ".join(retried))
    noisy = [r for r in results if (r.get("noise_pct") or 0) > NOISY_PCT]
    if noisy:
        w("- Still above %d %% of noise after the retries: %s. Treat those numbers as "
          "noise (the medians limit the damage; use more --runs on a quieter machine)."
          % (NOISY_PCT, ", ".join("%s run %d (%.0f %%)" % (
              LABEL[r["impl"]], r["rep"], r["noise_pct"]) for r in noisy)))
    if meta.get("sanity"):
        w("- PROXY_BIN is HAProxy itself: this is a check of the harness; every ratio "
          "should be close to 1.00 and the spread shows this machine's noise.")
    upper = [r for r in results if r.get("resync_at_first_answer")]
    if upper:
        w("- In %s, the new B already held every key when its stats socket first "
          "answered: the resync finished during start-up and its time is an upper bound "
          "(process start-up included)." % ", ".join(
              "%s run %d" % (LABEL[r["impl"]], r["rep"]) for r in upper))
    w("- Raw data, configs and logs: %s/." % os.path.relpath(ctx.run_dir, ROOT))
    w("")
    return "\n".join(out)


# ------------------------------------------------------------------ main


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, help="runs per implementation (default 3)")
    p.add_argument("--keys", type=int, help="distinct keys (default 100000)")
    p.add_argument("--quick", action="store_true", help="runs=1, keys=20000")
    p.add_argument("--timeout", type=float, default=60.0,
                   help="seconds allowed per phase before it counts as failed (default 60)")
    p.add_argument("--poll-ms", type=int, default=20, help="stats socket poll interval (default 20)")
    p.add_argument("--connections", type=int, default=50, help="wrk -c (default 50)")
    p.add_argument("--threads", type=int, default=1, help="wrk -t (default 1)")
    p.add_argument("--sample", type=int, default=100, help="keys compared in the check (default 100)")
    p.add_argument("--only", choices=IMPLS, help="run one implementation only (debugging)")
    p.add_argument("--no-build", action="store_true", help="do not run cargo build")
    p.add_argument("--no-renice", action="store_true", help="do not use nice -10")
    p.add_argument("--noisy-retries", type=int, default=2,
                   help="measure a run again when more than %d%%%% of it went to other work "
                        "on the cores, up to N times (default 2)" % NOISY_PCT)
    p.add_argument("--keep-going", action="store_true",
                   help="keep running an implementation after it failed a run")
    p.add_argument("--out", default=os.path.join(BENCH_DIR, "results", "replication-latest.md"))
    a = p.parse_args()
    argv = sys.argv[1:]
    if a.runs is None:
        a.runs = 1 if a.quick else 3
    if a.keys is None:
        a.keys = 20000 if a.quick else 100000
    if a.keys < 1 or a.keys > 200000:
        die("--keys must be between 1 and 200000 (the table holds 200k entries)")
    if a.runs < 1 or a.threads < 1 or a.connections < a.threads:
        die("bad --runs / --threads / --connections")

    cmdline = ""
    for env in ("PROXY_BIN", "HAPROXY_BIN"):
        if os.environ.get(env):
            cmdline += "%s=%s " % (env, shlex.quote(os.environ[env]))
    cmdline += "bench/replication.py" + "".join(" " + shlex.quote(x) for x in argv)

    os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    wrk = shutil.which("wrk")
    if not wrk:
        die("wrk not found (apt-get install wrk)")
    if not shutil.which("taskset"):
        die("taskset not found (util-linux)")
    haproxy = os.environ.get("HAPROXY_BIN") or shutil.which("haproxy")
    if not haproxy or not os.access(haproxy, os.X_OK):
        die("HAProxy not found (set HAPROXY_BIN)")
    proxy = os.environ.get("PROXY_BIN")
    if not proxy:
        if not a.no_build and a.only != "haproxy":
            log("building proxy (cargo build --release -p proxy-bin -p applet-peers -p applet-stats)")
            r = subprocess.run(["cargo", "build", "--release", "-p", "proxy-bin",
                                "-p", "applet-peers", "-p", "applet-stats"], cwd=ROOT)
            if r.returncode != 0:
                die("cargo build failed")
        proxy = os.path.join(ROOT, "target", "release", "proxy")
    if a.only != "haproxy" and not os.access(proxy, os.X_OK):
        die("PROXY_BIN=%s is not executable" % proxy)

    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = os.path.join(BENCH_DIR, "results", "runs", "repl-" + stamp)
    os.makedirs(run_dir, exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    ctx = Ctx(a, run_dir, {"proxy": proxy, "haproxy": haproxy})
    ctx.wrk = wrk

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    impls = [a.only] if a.only else list(IMPLS)
    log("results and logs: %s" % os.path.relpath(run_dir, ROOT))
    log("%d run(s), %d keys, pinning: %s" % (a.runs, a.keys, ctx.pinning))
    results, skipped, failed_impl, retried = [], [], {}, []
    rfile = open(os.path.join(run_dir, "results.jsonl"), "w")
    try:
        for rep in range(1, a.runs + 1):
            order = impls if rep % 2 == 1 else impls[::-1]
            log("run %d/%d (order: %s)" % (rep, a.runs, " ".join(order)))
            for impl in order:
                if impl in failed_impl and not a.keep_going:
                    skipped.append("%s run %d skipped: it failed in run %d (--keep-going "
                                   "runs it anyway)" % (LABEL[impl], rep, failed_impl[impl]))
                    log("  %s: skipped (failed in run %d)" % (impl, failed_impl[impl]))
                    continue
                r = None
                for attempt in range(1, a.noisy_retries + 2):
                    t = run_pair(ctx, impl, rep, " ".join(order), attempt)
                    rfile.write(json.dumps(t, sort_keys=True) + "\n")
                    rfile.flush()
                    if r is None or (not t.get("failed") and (
                            r.get("failed") or t.get("noise_pct", 0) < r.get("noise_pct", 0))):
                        r = t
                    if t.get("failed") or t.get("noise_pct", 0) <= NOISY_PCT:
                        break
                    if attempt <= a.noisy_retries:
                        retried.append("%s run %d attempt %d (%.0f %%)" % (
                            LABEL[impl], rep, attempt, t["noise_pct"]))
                        log("  %-8s noise %.0f %% (other work on the cores), measuring again"
                            % (impl, t["noise_pct"]))
                results.append(r)
                if r.get("failed"):
                    failed_impl.setdefault(impl, rep)
                    log("  %-8s FAILED in %s: %s" % (impl, r["failed_phase"], r["failed"]))
                if r.get("failed_phase") not in (None, "check"):
                    continue
                log("  %-8s insert %s keys/s, lag %s ms, repl %s upd/s, cpu A/B %s/%s s, "
                    "resync %s s (%s keys/s), differing %s/%s, noise %s %%" % (
                        impl, fmt(r["insert_rate"]), fmt(r["lag_ms"], 1), fmt(r["repl_rate"]),
                        fmt(r["cpu_a_s"], 2), fmt(r["cpu_b_s"], 2), fmt(r["resync_s"], 3),
                        fmt(r["resync_rate"]), r["check_live_mismatch"],
                        r["check_resync_mismatch"], fmt(r.get("noise_pct"), 0)))
    finally:
        rfile.close()
        cleanup()

    def first_line(binary):
        try:
            r = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=5)
            return ((r.stdout or r.stderr).strip().splitlines() or ["(no output from -v)"])[0]
        except (OSError, subprocess.TimeoutExpired):
            return "(no output from -v)"

    cpu_model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "machine": "%d CPUs, %s, Linux %s, load average %s" % (
            os.cpu_count() or 1, cpu_model, os.uname().release,
            " ".join(open("/proc/loadavg").read().split()[:3])),
        "proxy": "%s (%s)" % (first_line(proxy), proxy) if a.only != "haproxy" else "",
        "haproxy": "%s (%s)" % (first_line(haproxy), haproxy) if a.only != "proxy" else "",
        "load": "%s, wrk -t%d -c%d, %s distinct keys, one request each, into A" % (
            first_line(wrk), a.threads, a.connections, fmt(a.keys)),
        "pinning": ctx.pinning,
        "priority": ctx.priority,
        "command": "`%s`" % cmdline,
        "skipped": skipped,
        "retried": retried,
        "sanity": a.only != "haproxy" and first_line(proxy).startswith("HAProxy"),
    }
    text = report(ctx, results, meta)
    with open(os.path.join(run_dir, "report.md"), "w") as f:
        f.write(text)
    with open(a.out, "w") as f:
        f.write(text)
    print(text)
    log("report written to %s" % os.path.relpath(os.path.abspath(a.out), ROOT))
    if any(r.get("failed") for r in results) or skipped:
        log("FAILED: %s" % "; ".join("%s run %d (%s): %s" % (
            r["impl"], r["rep"], r["failed_phase"], r["failed"]) for r in results if r.get("failed")))
        sys.exit(1)


if __name__ == "__main__":
    try:
        main()
    finally:
        cleanup()
