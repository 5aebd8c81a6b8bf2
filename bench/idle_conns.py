#!/usr/bin/env python3
"""Open N idle TCP (or, with --tls, TLS) connections to 127.0.0.1:PORT and (optionally) measure the
resident memory a process spends on them.

By default nothing is sent on the connections; --send gives bytes (Python
escapes, e.g. 'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n') written on each one
right after it connects, and --read-response waits for the HTTP answer to
them (head and content-length body) before the next connection, so that
the connection is left idle between two requests.  With --pid, VmRSS of that process is
read before connecting and again once RSS and its descriptor count have been
stable for --settle seconds after the last connection; one JSON line is printed
on stdout and the connections are closed.  Without --pid the connections are
held until stdin is closed or --hold seconds have passed.

Standard library only.
"""

import argparse
import json
import os
import resource
import select
import socket
import sys
import time


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(need, soft)
    if want > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def vmrss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def still_open(socks):
    """Number of sockets the peer has not closed (no EOF/RST pending)."""
    poller = select.poll()
    by_fd = {}
    for s in socks:
        poller.register(s.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
        by_fd[s.fileno()] = s
    closed = 0
    for fd, ev in poller.poll(0):
        if ev & (select.POLLERR | select.POLLHUP):
            closed += 1
            continue
        try:
            # The socket's own recv, under a TLS wrapper too: a peek at
            # the raw bytes (session tickets count as open, EOF as closed).
            if not socket.socket.recv(by_fd[fd], 1, socket.MSG_PEEK | socket.MSG_DONTWAIT):
                closed += 1  # EOF from the peer
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    return len(socks) - closed


def read_response(s):
    """Reads one HTTP/1.1 response with a content-length body (or none)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise OSError("closed before a response")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise OSError("closed in the body")
        body += chunk


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--pid", type=int, default=0, help="process whose RSS to measure")
    p.add_argument("--settle", type=float, default=1.5,
                   help="seconds RSS and fd count must stay unchanged")
    p.add_argument("--timeout", type=float, default=60.0,
                   help="overall bound on connecting + settling, seconds")
    p.add_argument("--hold", type=float, default=0.0,
                   help="without --pid: hold connections this long (0 = until stdin EOF)")
    p.add_argument("--field", action="append", default=[], help="extra key=value in the JSON")
    p.add_argument("--send", default="", help="bytes to send on each connection (Python escapes)")
    p.add_argument("--tls", action="store_true",
                   help="complete a TLS handshake on each connection (certificate not checked)")
    p.add_argument("--read-response", action="store_true",
                   help="read one HTTP response on each connection after --send")
    a = p.parse_args()

    limit = raise_nofile(a.count + 64)
    if limit < a.count + 16:
        sys.exit("RLIMIT_NOFILE %d too low for %d connections" % (limit, a.count))

    rec = {"kind": "idle", "port": a.port, "requested": a.count}
    payload = a.send.encode("latin-1").decode("unicode_escape").encode("latin-1")
    for item in a.field:
        k, _, v = item.partition("=")
        rec[k] = v

    start = time.monotonic()
    deadline = start + a.timeout
    if a.pid:
        time.sleep(0.5)
        rec["rss_before_kb"] = vmrss_kb(a.pid)
        rec["fds_before"] = fd_count(a.pid)

    ctx = None
    if a.tls:
        import ssl

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    socks, errors, last_err = [], 0, None
    for _ in range(a.count):
        if time.monotonic() > deadline:
            last_err = "timeout while connecting"
            break
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5.0)
        try:
            s.connect(("127.0.0.1", a.port))
            if ctx is not None:
                s = ctx.wrap_socket(s, server_hostname="bench.test")
            if payload:
                s.sendall(payload)
            if a.read_response:
                read_response(s)
            socks.append(s)
        except OSError as e:
            s.close()
            errors += 1
            last_err = str(e)
            if errors >= 20:
                break
    rec["connect_errors"] = errors
    if last_err:
        rec["last_error"] = last_err
    rec["connect_s"] = round(time.monotonic() - start, 3)

    if a.pid:
        # Wait until the process has picked everything up and RSS is stable.
        prev, stable_since = None, time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.25)
            try:
                cur = (vmrss_kb(a.pid), fd_count(a.pid))
            except OSError:
                rec["failed"] = "process %d exited during the idle test" % a.pid
                break
            if cur != prev:
                prev, stable_since = cur, time.monotonic()
            elif time.monotonic() - stable_since >= a.settle:
                break
        else:
            rec["note"] = "RSS not stable before timeout"
        if "failed" not in rec:
            rec["rss_after_kb"] = vmrss_kb(a.pid)
            rec["fds_after"] = fd_count(a.pid)
            rec["connected"] = still_open(socks)
            rec["count"] = len(socks)
            if rec["connected"]:
                rec["bytes_per_conn"] = (
                    (rec["rss_after_kb"] - rec["rss_before_kb"]) * 1024.0 / rec["connected"]
                )
            if rec["connected"] < a.count:
                rec["failed"] = "only %d of %d connections held open%s" % (
                    rec["connected"], a.count,
                    " (last error: %s)" % last_err if last_err else "")
        rec["settle_s"] = round(time.monotonic() - start, 3)
        print(json.dumps(rec, sort_keys=True), flush=True)
    else:
        rec["count"] = len(socks)
        print(json.dumps(rec, sort_keys=True), flush=True)
        if a.hold > 0:
            time.sleep(a.hold)
        else:
            sys.stdin.read()

    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
