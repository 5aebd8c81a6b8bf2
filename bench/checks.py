#!/usr/bin/env python3
"""bench/checks.py - the cost of health checks: proxy vs HAProxy 2.6.

Both implementations run the same haproxy.cfg (nbthread 1, pinned to one
core): --backends backends (default 10) of --servers servers each (default
100), 1,000 servers in all, every one checked with `option httpchk GET
/health` every --inter seconds (default 2).  The servers point at --ports
listening ports of one nginx (default 10; server i of a backend uses port
i mod ports), which answers /health with 200 and logs each check to a file,
so every check is a real TCP connection and a real HTTP exchange, and the
script counts the checks nginx received.

  cpu      once every server is L7OK in `show stat`, after a warm-up of
           one `inter`, the proxy's CPU time (utime+stime from
           /proc/<pid>/stat) over a fixed --window (default 30 s), and the
           checks nginx logged meanwhile.  Reported: CPU seconds, % of one
           core, checks/s, CPU ms per 1,000 checks; ratio proxy/HAProxy.
  latency  wrk -t1 -c50 keep-alive GET / through the frontend (backend be0,
           its 100 servers balanced round-robin) for --duration seconds
           after a --warmup, on the process whose checks run, then on a
           fresh process of the same config without `check`.  Reported:
           req/s, p50, p99 with and without checks, and the ratio
           with/without for each implementation.

Implementations run one after the other, the order alternating from run to
run; medians over --runs (default 1).  See bench/README.md.

Usage: bench/checks.py [--quick] [--runs N] [--window S] [--duration S] ...
Env:   PROXY_BIN    binary under test (default: build target/release/proxy)
       HAPROXY_BIN  reference HAProxy (default: haproxy in PATH or /usr/sbin)
       PROXY_CPU    core for the proxies (default 1)
       LOAD_CPU     core for nginx and wrk (default 0)
       NGINX_BIN    nginx (default: nginx in PATH or /usr/sbin)

Standard library only, plus nginx, wrk and taskset.  All traffic on
127.0.0.1, on free ports below 32768.  Every wait is bounded; every process
the script starts is stopped when it exits.  Exit status 1 when a side
fails (does not start, never gets all servers L7OK, a server goes down
during the window, wrk errors).
"""

import argparse
import json
import os
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
IMPLS = ("proxy", "haproxy")
LABEL = {"proxy": "proxy", "haproxy": "HAProxy"}
STARTED = []  # Popen objects started by this script (stopped at exit)


def log(msg):
    sys.stderr.write("[checks %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def die(msg):
    log("ERROR: " + msg)
    sys.exit(1)


class Failed(Exception):
    """A side did not run as it should (start, checks, load)."""


# ------------------------------------------------------------ processes


def start(argv, out_path, cpu, prio):
    f = open(out_path, "wb")
    p = subprocess.Popen(prio + ["taskset", "-c", str(cpu)] + argv, stdin=subprocess.DEVNULL,
                         stdout=f, stderr=subprocess.STDOUT)
    f.close()
    STARTED.append(p)
    return p


def stop(p, grace=5.0):
    if p is None:
        return
    if p.poll() is None:
        try:
            p.terminate()
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            p.kill()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        except OSError:
            pass
    if p in STARTED:
        STARTED.remove(p)


def cleanup():
    for p in list(STARTED):
        stop(p, grace=2.0)


def cpu_ticks(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
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


def wait_port(port, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        s = socket.socket()
        s.settimeout(0.2)
        try:
            s.connect(("127.0.0.1", port))
            return True
        except OSError:
            time.sleep(0.05)
        finally:
            s.close()
    return False


def cli(path, command, timeout=5.0):
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


def check_states(sock):
    """{check_status: count} over all server rows, and {status: count}."""
    out = cli(sock, "show stat")
    if not out:
        return None, None
    lines = out.splitlines()
    head = lines[0].lstrip("# ").split(",")
    try:
        i_sv, i_st, i_cs = head.index("svname"), head.index("status"), head.index("check_status")
    except ValueError:
        return None, None
    checks, states = {}, {}
    for l in lines[1:]:
        f = l.split(",")
        if len(f) <= i_cs or f[i_sv] in ("FRONTEND", "BACKEND"):
            continue
        cs = f[i_cs].lstrip("* ")
        checks[cs] = checks.get(cs, 0) + 1
        states[f[i_st]] = states.get(f[i_st], 0) + 1
    return checks, states


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    except OSError:
        return 0


# ---------------------------------------------------------------- setup


def nginx_conf(state, ports, health_log):
    listens = "\n".join("    listen 127.0.0.1:%d backlog=4096;" % p for p in ports)
    return """worker_processes 1;
daemon off;
pid %(s)s/nginx.pid;
error_log %(s)s/nginx-error.log warn;
events { worker_connections 8192; use epoll; }
http {
  access_log off;
  log_format hc '$server_port';
  keepalive_requests 10000000;
  keepalive_timeout 600s;
  client_body_temp_path %(s)s/tmp/body;
  proxy_temp_path %(s)s/tmp/proxy;
  fastcgi_temp_path %(s)s/tmp/fastcgi;
  uwsgi_temp_path %(s)s/tmp/uwsgi;
  scgi_temp_path %(s)s/tmp/scgi;
  server {
%(l)s
    location = /health { access_log %(h)s hc; default_type text/plain; return 200 "ok\\n"; }
    location / { default_type text/plain; return 200 "hello from the bench backend\\n"; }
  }
}
""" % {"s": state, "l": listens, "h": health_log}


def proxy_conf(a, fe, sock, ports, checks):
    out = ["global", "    nbthread 1", "    maxconn 4000",
           "    stats socket %s level admin" % sock, "",
           "defaults", "    mode http", "    timeout connect 2s", "    timeout client 30s",
           "    timeout server 30s", "    timeout check 2s", "",
           "frontend fe", "    bind 127.0.0.1:%d" % fe, "    default_backend be0", ""]
    for b in range(a.backends):
        out.append("backend be%d" % b)
        out.append("    option httpchk GET /health")
        if checks:
            out.append("    default-server check inter %ds" % a.inter)
        for s in range(a.servers):
            out.append("    server s%d 127.0.0.1:%d" % (s, ports[s % len(ports)]))
        out.append("")
    return "\n".join(out)


class Ctx:
    pass


def start_proxy(ctx, impl, checks, tag):
    fe = free_ports(1, 21000 + (os.getpid() % 2000))[0]
    sock = os.path.join(ctx.state, "%s-%s.sock" % (impl, tag))
    cfg = os.path.join(ctx.run_dir, "%s-%s.cfg" % (impl, tag))
    with open(cfg, "w") as f:
        f.write(proxy_conf(ctx.a, fe, sock, ctx.ports, checks))
    out = os.path.join(ctx.run_dir, "%s-%s.log" % (impl, tag))
    p = start([ctx.bins[impl], "-db", "-f", cfg], out, ctx.proxy_cpu, ctx.prio)
    if not wait_port(fe, p, 15):
        stop(p)
        with open(out, errors="replace") as f:
            tail = f.read()[-2000:]
        raise Failed("%s did not start (%s):\n%s" % (LABEL[impl], out, tail))
    return p, fe, sock


def wait_all_ok(ctx, p, sock, timeout):
    n = ctx.a.backends * ctx.a.servers
    deadline = time.monotonic() + timeout
    checks = None
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise Failed("the process exited")
        checks, _ = check_states(sock)
        if checks and checks.get("L7OK", 0) == n:
            return
        time.sleep(0.2)
    raise Failed("not every server was L7OK within %.0f s: %s" % (timeout, checks))


def run_wrk(ctx, port, name):
    a = ctx.a
    url = "http://127.0.0.1:%d/" % port
    base = ctx.prio + ["taskset", "-c", str(ctx.load_cpu), ctx.wrk, "-t1", "-c%d" % a.connections]
    if a.warmup > 0:
        subprocess.run(base + ["-d%ds" % a.warmup, url], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=a.warmup + 30)
    r = subprocess.run(base + ["-d%ds" % a.duration, "--latency", url], capture_output=True,
                       text=True, timeout=a.duration + 30)
    with open(os.path.join(ctx.run_dir, name + ".wrk.txt"), "w") as f:
        f.write(r.stdout + r.stderr)
    w = benchlib.parse_wrk(r.stdout)
    if not w.get("requests") or w.get("errors") or w.get("non2xx"):
        raise Failed("wrk: %s" % json.dumps(w))
    return w


def measure(ctx, impl, rep):
    a = ctx.a
    res = {"impl": impl, "run": rep}
    p = None
    try:
        p, fe, sock = start_proxy(ctx, impl, True, "checks-%d" % rep)
        wait_all_ok(ctx, p, sock, 2 * a.inter + 20)
        time.sleep(a.inter)  # the checks' spread settles
        c0, n0, t0 = cpu_ticks(p.pid), count_lines(ctx.health_log), time.monotonic()
        time.sleep(a.window)
        c1, n1, t1 = cpu_ticks(p.pid), count_lines(ctx.health_log), time.monotonic()
        if c0 is None or c1 is None:
            raise Failed("the process exited during the window")
        checks, states = check_states(sock)
        total = a.backends * a.servers
        if not states or states.get("UP", 0) != total:
            raise Failed("servers not all UP after the window: %s %s" % (states, checks))
        res["cpu_s"] = (c1 - c0) / CLK_TCK
        res["elapsed_s"] = t1 - t0
        res["cpu_pct"] = 100.0 * res["cpu_s"] / res["elapsed_s"]
        res["checks"] = n1 - n0
        res["checks_per_s"] = res["checks"] / res["elapsed_s"]
        res["expected_checks_per_s"] = total / a.inter
        res["cpu_ms_per_1000_checks"] = (1e6 * res["cpu_s"] / res["checks"]) if res["checks"] else None
        log("  %s: %.2f CPU s over %.1f s (%.1f%%), %.0f checks/s (expected %.0f)" % (
            LABEL[impl], res["cpu_s"], res["elapsed_s"], res["cpu_pct"], res["checks_per_s"],
            res["expected_checks_per_s"]))
        if a.duration > 0:
            w = run_wrk(ctx, fe, "%s-checks-%d" % (impl, rep))
            res["with"] = w
            stop(p)
            p = None
            p, fe, sock = start_proxy(ctx, impl, False, "nochecks-%d" % rep)
            w = run_wrk(ctx, fe, "%s-nochecks-%d" % (impl, rep))
            res["without"] = w
            log("  %s: p99 %.2f ms with checks, %.2f ms without" % (
                LABEL[impl], res["with"]["p99_ms"] or -1, res["without"]["p99_ms"] or -1))
    except (Failed, subprocess.TimeoutExpired) as e:
        res["failed"] = str(e)
        log("  %s FAILED: %s" % (LABEL[impl], e))
    finally:
        stop(p)
    return res


# ---------------------------------------------------------------- report


def med(rs, *path):
    vals = []
    for r in rs:
        v = r
        for k in path:
            v = v.get(k) if isinstance(v, dict) else None
        if isinstance(v, (int, float)):
            vals.append(v)
    return statistics.median(vals) if vals else None


def fmt(v, digits=2):
    return "-" if v is None else ("%.*f" % (digits, v))


def ratio(x, y):
    return "-" if x is None or y in (None, 0) else "%.2f" % (x / y)


def report(ctx, results, cmdline):
    a = ctx.a
    ok = {i: [r for r in results if r["impl"] == i and not r.get("failed")] for i in IMPLS}
    w = []
    w.append("# Health checks: proxy vs HAProxy 2.6\n")
    w.append("`%s`\n" % cmdline)
    w.append("%d servers (%d backends x %d) checked with `option httpchk GET /health` every %d s, "
             "against %d nginx ports; nbthread 1; %s. Medians over %d run(s).\n" % (
                 a.backends * a.servers, a.backends, a.servers, a.inter, a.ports, ctx.pinning,
                 a.runs))
    w.append("## CPU of the checks (window of %d s)\n" % a.window)
    w.append("| metric | proxy | HAProxy | ratio proxy/HAProxy |")
    w.append("|---|---|---|---|")
    for name, key, d in (("CPU seconds", "cpu_s", 2), ("CPU % of one core", "cpu_pct", 1),
                         ("checks/s (nginx saw)", "checks_per_s", 0),
                         ("CPU ms per 1,000 checks", "cpu_ms_per_1000_checks", 1)):
        p, h = med(ok["proxy"], key), med(ok["haproxy"], key)
        w.append("| %s | %s | %s | %s |" % (name, fmt(p, d), fmt(h, d), ratio(p, h)))
    w.append("\nExpected checks/s: %.0f. Lower CPU is better.\n" % (a.backends * a.servers / a.inter))
    if a.duration > 0:
        w.append("## Latency of a keep-alive load with and without the checks\n")
        w.append("wrk -t1 -c%d, %d s after %d s of warm-up, GET / to backend be0 (%d servers).\n" % (
            a.connections, a.duration, a.warmup, a.servers))
        w.append("| metric | proxy | HAProxy | ratio proxy/HAProxy |")
        w.append("|---|---|---|---|")
        for side in ("without", "with"):
            for name, key, d in (("req/s", "rps", 0), ("p50 ms", "p50_ms", 3), ("p99 ms", "p99_ms", 3)):
                p, h = med(ok["proxy"], side, key), med(ok["haproxy"], side, key)
                w.append("| %s, %s checks | %s | %s | %s |" % (name, side, fmt(p, d), fmt(h, d),
                                                              ratio(p, h)))
        for impl in IMPLS:
            pw, po = med(ok[impl], "with", "p99_ms"), med(ok[impl], "without", "p99_ms")
            w.append("\n%s: p99 with checks / without = %s" % (LABEL[impl], ratio(pw, po)))
        w.append("")
    fails = [r for r in results if r.get("failed")]
    if fails:
        w.append("## Failures\n")
        for r in fails:
            w.append("- %s run %d: %s" % (LABEL[r["impl"]], r["run"], r["failed"]))
        w.append("")
    w.append("Raw data: `%s`\n" % os.path.relpath(ctx.run_dir, ROOT))
    return "\n".join(w)


# ------------------------------------------------------------------ main


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, help="runs per implementation (default 1)")
    p.add_argument("--window", type=int, help="CPU measurement window, s (default 30)")
    p.add_argument("--duration", type=int, help="wrk duration, s; 0 skips the latency part (default 10)")
    p.add_argument("--warmup", type=int, help="untimed wrk before each load, s (default 2)")
    p.add_argument("--quick", action="store_true", help="window 8 s, wrk 3 s, warm-up 1 s")
    p.add_argument("--backends", type=int, default=10, help="backends (default 10)")
    p.add_argument("--servers", type=int, default=100, help="servers per backend (default 100)")
    p.add_argument("--inter", type=int, default=2, help="check interval, s (default 2)")
    p.add_argument("--ports", type=int, default=10, help="nginx listening ports (default 10)")
    p.add_argument("--connections", type=int, default=50, help="wrk -c (default 50)")
    p.add_argument("--only", choices=IMPLS, help="run one implementation only")
    p.add_argument("--no-build", action="store_true", help="do not run cargo build")
    p.add_argument("--no-renice", action="store_true", help="do not use nice -10")
    p.add_argument("--out", default=os.path.join(BENCH_DIR, "results", "checks-latest.md"))
    a = p.parse_args()
    a.runs = a.runs or 1
    a.window = a.window or (8 if a.quick else 30)
    if a.duration is None:
        a.duration = 3 if a.quick else 10
    if a.warmup is None:
        a.warmup = 1 if a.quick else 2
    if min(a.runs, a.window, a.backends, a.servers, a.inter, a.ports) < 1 or a.duration < 0:
        die("bad arguments")

    cmdline = ""
    for env in ("PROXY_BIN", "HAPROXY_BIN"):
        if os.environ.get(env):
            cmdline += "%s=%s " % (env, shlex.quote(os.environ[env]))
    cmdline += "bench/checks.py" + "".join(" " + shlex.quote(x) for x in sys.argv[1:])

    os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    ctx = Ctx()
    ctx.a = a
    ctx.wrk = shutil.which("wrk")
    nginx = os.environ.get("NGINX_BIN") or shutil.which("nginx")
    if not ctx.wrk or not nginx or not shutil.which("taskset"):
        die("needs wrk, nginx and taskset (apt-get install wrk nginx-light util-linux)")
    haproxy = os.environ.get("HAPROXY_BIN") or shutil.which("haproxy")
    if not haproxy and a.only != "proxy":
        die("HAProxy not found (set HAPROXY_BIN)")
    proxy = os.environ.get("PROXY_BIN")
    if not proxy and a.only != "haproxy":
        if not a.no_build:
            log("building proxy (cargo build --release -p proxy-bin)")
            if subprocess.run(["cargo", "build", "--release", "-p", "proxy-bin"], cwd=ROOT).returncode:
                die("cargo build failed")
        proxy = os.path.join(ROOT, "target", "release", "proxy")
    ctx.bins = {"proxy": proxy, "haproxy": haproxy}
    ctx.proxy_cpu = os.environ.get("PROXY_CPU", "1")
    ctx.load_cpu = os.environ.get("LOAD_CPU", "0")
    ctx.prio = []
    if not a.no_renice and subprocess.run(["nice", "-n", "-10", "true"],
                                          stderr=subprocess.DEVNULL).returncode == 0:
        ctx.prio = ["nice", "-n", "-10"]
    ctx.pinning = "proxies on core %s, nginx and wrk on core %s%s" % (
        ctx.proxy_cpu, ctx.load_cpu, ", nice -10" if ctx.prio else "")

    stamp = time.strftime("%Y%m%d-%H%M%S")
    ctx.run_dir = os.path.join(BENCH_DIR, "results", "runs", "checks-" + stamp)
    ctx.state = os.path.join("/tmp", "bench-checks-%d" % os.getpid())
    os.makedirs(ctx.run_dir, exist_ok=True)
    os.makedirs(os.path.join(ctx.state, "tmp"), exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    results = []
    try:
        ctx.ports = free_ports(a.ports, 23000 + (os.getpid() % 3000))
        ctx.health_log = os.path.join(ctx.state, "health.log")
        conf = os.path.join(ctx.state, "nginx.conf")
        with open(conf, "w") as f:
            f.write(nginx_conf(ctx.state, ctx.ports, ctx.health_log))
        ng = start([nginx, "-p", ctx.state, "-c", conf], os.path.join(ctx.run_dir, "nginx.out"),
                   ctx.load_cpu, ctx.prio)
        if not all(wait_port(port, ng, 10) for port in ctx.ports):
            die("nginx did not start (see %s)" % ctx.run_dir)
        impls = [a.only] if a.only else list(IMPLS)
        log("results and logs: %s" % os.path.relpath(ctx.run_dir, ROOT))
        log("%d servers, inter %d s, window %d s, wrk %d s; %s" % (
            a.backends * a.servers, a.inter, a.window, a.duration, ctx.pinning))
        with open(os.path.join(ctx.run_dir, "results.jsonl"), "w") as rf:
            for rep in range(1, a.runs + 1):
                order = impls if rep % 2 == 1 else impls[::-1]
                log("run %d/%d (order: %s)" % (rep, a.runs, " ".join(order)))
                for impl in order:
                    r = measure(ctx, impl, rep)
                    rf.write(json.dumps(r, sort_keys=True) + "\n")
                    rf.flush()
                    results.append(r)
        text = report(ctx, results, cmdline)
        print(text)
        with open(a.out, "w") as f:
            f.write(text + "\n")
    finally:
        cleanup()
        shutil.rmtree(ctx.state, ignore_errors=True)
    if any(r.get("failed") for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
