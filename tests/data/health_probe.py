#!/usr/bin/env python3
"""Runs HAProxy 2.6 health checks against a scripted server and prints
the health-check log lines (`option log-health-checks`), the server's
row of `show stat`, and what the server received. The expectations of
proxy-core's check tests (src/check/tests_*.rs) were collected with it.

usage: health_probe.py <behavior> <backend-lines...>
behaviors: refuse | full (accept queue full: connects hang) | close |
           silent | reply:<python-bytes-literal> (then close) |
           replyopen:<bytes> (then stay open) | reset:<bytes> (then RST) |
           huge (HTTP 200 with a 1 GB body)
environment: DUR (seconds haproxy runs, 2.5), SRV (server options, PORT is
the listener's port: "agent-check agent-port PORT"), TCON (timeout
connect), DEFAULTS / GLOBAL (extra lines), MODE (tcp), ADDR (server IP).
example: health_probe.py "reply:b'HTTP/1.1 503 Down\\r\\n\\r\\n'" "option httpchk"
"""
import socket, struct, subprocess, sys, tempfile, threading, time, os

WORK = tempfile.mkdtemp(prefix="health_probe.")

beh = sys.argv[1]
lines = sys.argv[2:]
dur = float(os.environ.get("DUR", "2.5"))

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
port = ls.getsockname()[1]
fillers = []
if beh == "refuse":
    ls.close()
elif beh == "full":
    ls.listen(0)
    for _ in range(3):
        f = socket.socket(); f.setblocking(False)
        try: f.connect(("127.0.0.1", port))
        except BlockingIOError: pass
        fillers.append(f)
    time.sleep(0.2)
else:
    ls.listen(16)
got = []

def serve(c):
    c.settimeout(0.3)
    data = b""
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            data += d
            if beh.startswith(("reply", "reset", "huge")) and (b"\r\n\r\n" in data or not data.startswith((b"GET", b"OPTIONS", b"POST", b"HEAD", b"PUT"))):
                break
    except Exception:
        pass
    got.append(data)
    try:
        if beh == "close":
            c.close(); return
        if beh == "silent" or beh == "readall":
            time.sleep(dur + 1); c.close(); return
        if beh.startswith("reply:") or beh.startswith("replyopen:"):
            payload = eval(beh.split(":", 1)[1])
            c.sendall(payload)
            if beh.startswith("replyopen:"):
                time.sleep(dur + 1)
            c.close(); return
        if beh.startswith("reset:"):
            payload = eval(beh.split(":", 1)[1])
            c.sendall(payload)
            time.sleep(0.05)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close(); return
        if beh == "huge":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n")
            chunk = b"x" * 65536
            c.settimeout(3)
            sent = 0
            while sent < (1 << 30):
                c.sendall(chunk); sent += len(chunk)
    except Exception as e:
        pass
    try: c.close()
    except Exception: pass

def acceptor():
    while True:
        try:
            c, _ = ls.accept()
        except Exception:
            return
        threading.Thread(target=serve, args=(c,), daemon=True).start()

if beh not in ("refuse", "full"):
    threading.Thread(target=acceptor, daemon=True).start()

fs = socket.socket(); fs.bind(("127.0.0.1", 0)); fport = fs.getsockname()[1]; fs.close()
srv_opts = os.environ.get("SRV", "check inter 1s rise 1 fall 1").replace("PORT", str(port))
glob = os.environ.get("GLOBAL", "") + "\n  stats socket " + os.path.join(WORK, "s.sock") + " level admin\n"
cfg = f"""global
  log stderr format raw local0
{glob}
defaults
  log global
  mode {os.environ.get('MODE', 'tcp')}
  timeout connect {os.environ.get('TCON', '1s')}
  timeout client 5s
  timeout server 5s
{os.environ.get('DEFAULTS', '')}
frontend fe
  bind 127.0.0.1:{fport}
  default_backend be
backend be
  option log-health-checks
""" + "".join(f"  {l}\n" for l in lines) + f"  server s1 {os.environ.get('ADDR', '127.0.0.1')}:{port} {srv_opts}\n"
open(os.path.join(WORK, "run.cfg"), "w").write(cfg)
p = subprocess.Popen(["haproxy", "-f", os.path.join(WORK, "run.cfg")], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
time.sleep(dur)
try:
    o = subprocess.run(["socat", "-", "UNIX-CONNECT:" + os.path.join(WORK, "s.sock")], input=b"show stat\n", capture_output=True).stdout.decode()
    rows = [r.split(",") for r in o.splitlines() if r]
    hdr = rows[0]; hdr[0] = hdr[0].lstrip("# ")
    for r in rows[1:]:
        if len(r) > 1 and r[1] == "s1":
            d = dict(zip(hdr, r))
            print("STAT:", {k: d.get(k) for k in ("status", "weight", "check_status", "check_code", "check_desc", "agent_status", "agent_code", "agent_desc", "last_agt", "last_chk")})
except Exception as e:
    print("stat error", e)
p.terminate()
_, err = p.communicate()
for l in err.decode(errors="replace").splitlines():
    if l.startswith(("Health check", "Agent check")) or "ALERT" in l:
        print(l)
for g in got[:1]:
    print("RECV:", repr(g[:600]))
