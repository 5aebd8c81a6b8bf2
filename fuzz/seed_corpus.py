#!/usr/bin/env python3
"""Writes the seed corpora (fuzz/corpus/<target>/) from the project's tests.

Byte and string literals are taken from the unit tests of each parser (HTTP
heads, chunked bodies, PROXY headers, CLI commands, sample expressions),
configurations from the examples and the integration tests' fixtures, and a
few binary inputs are built the way the tests build them (ClientHellos from
Python's ssl module, PROXY v2 and peers frames by hand). Each target whose
first input byte is a control byte gets seeds with a few control values.
Re-running replaces the seed files; libFuzzer's own finds are kept.
"""
import hashlib
import os
import re
import ssl
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
MAX_SEED = 4096
MAX_PER_TARGET = 200

ESC = {"n": b"\n", "r": b"\r", "t": b"\t", "\\": b"\\", '"': b'"', "'": b"'", "0": b"\0"}


def unescape(body):
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        n = body[i + 1] if i + 1 < len(body) else ""
        if n in ESC:
            out += ESC[n]
            i += 2
        elif n == "x":
            out.append(int(body[i + 2:i + 4], 16))
            i += 4
        elif n == "u":
            end = body.index("}", i)
            out += chr(int(body[i + 3:end], 16)).encode()
            i = end + 1
        elif n == "\n":  # line continuation: skip the newline and indentation
            i += 2
            while i < len(body) and body[i] in " \t":
                i += 1
        else:
            out += b"\\"
            i += 1
    return bytes(out)


LIT = re.compile(r'(b?)"((?:[^"\\]|\\.|\\\n)*)"', re.S)


def literals(path, min_len=1):
    text = open(os.path.join(ROOT, path), encoding="utf-8").read()
    for m in LIT.finditer(text):
        try:
            v = unescape(m.group(2))
        except (ValueError, IndexError):
            continue
        if len(v) >= min_len:
            yield v


def write(target, seeds, controls=(None,)):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed-"):
            os.remove(os.path.join(d, f))
    n = 0
    seen = set()
    for s in seeds:
        for c in controls:
            v = s if c is None else bytes([c]) + s
            if len(v) > MAX_SEED or v in seen or n >= MAX_PER_TARGET:
                continue
            seen.add(v)
            name = "seed-" + hashlib.sha1(v).hexdigest()[:16]
            open(os.path.join(d, name), "wb").write(v)
            n += 1
    print(f"{target}: {n} seeds")


def http_requests():
    for v in literals("proxy-core/src/http/head_tests.rs", 8):
        yield v
    for v in literals("proxy-core/src/http/framing_tests.rs", 8):
        yield v
    yield b"POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"
    yield b"POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n"


def chunked():
    for v in literals("proxy-core/src/http/chunked_tests.rs", 1):
        yield b"\x00" + v  # no split seed
        yield b"\x03ab\x07" + v


def responses():
    for v in literals("proxy-core/src/http/framing_tests.rs", 8):
        if v.startswith(b"HTTP/"):
            yield v
    yield b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    yield b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"
    yield b"HTTP/1.0 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"


def configs():
    for p in ["examples/quickstart.cfg", "examples/tcp-forward.cfg",
              "examples/health-checks.cfg", "proxy-core/src/sample/pattern/testdata/haproxy.cfg"]:
        yield open(os.path.join(ROOT, p), "rb").read()
    for p in ["proxy-core/src/config/tests_http.rs", "proxy-core/src/config/tests_check.rs"]:
        for v in literals(p, 20):
            if b"\n" in v and (b"frontend" in v or b"backend" in v or b"listen" in v or b"global" in v):
                yield v


def config_lines():
    for cfg in configs():
        for line in cfg.split(b"\n"):
            if line.strip():
                yield line
    yield b'bind "${ADDR}:${PORT}" name \'x y\' # comment'
    yield b'http-request set-header X "a\\"b" if { path_beg /a }'


def cli():
    for v in literals("applet-stats/src/cli_tests.rs", 3):
        if v[:1].isalpha():
            yield v if v.endswith(b"\n") else v + b"\n"
    yield b"prompt\nshow info\nset server be/s weight 10\nadd map m k v\n"
    yield b"add map m <<\nk1 v1\nk2 v2\n\n"
    yield b"show stat -1 -1 -1 typed;show sess all\n"


def frame(cls, kind, payload=b""):
    if kind & 0x80 == 0:
        return bytes([cls, kind])
    return bytes([cls, kind]) + varint(len(payload)) + payload


def varint(v):
    if v < 240:
        return bytes([v])
    out = bytearray([(v | 240) & 0xFF])
    v = (v - 240) >> 4
    while v >= 128:
        out.append((v | 128) & 0xFF)
        v = (v - 128) >> 7
    out.append(v)
    return bytes(out)


def peers():
    yield b"\x01HAProxyS 2.1\nremote\nremote 1234 5678\n"
    name = b"st"
    # definition: id, name, key type 6 (string), key len 32, bitfield
    # (server_id, gpc0, conn_rate), expire, then the frequency periods.
    bits = (1 << 0) | (1 << 3) | (1 << 9)
    define = varint(1) + varint(len(name)) + name + varint(6) + varint(32) + varint(bits) + varint(60000) + varint(10000)
    upd = struct.pack(">I", 1) + varint(3) + b"key" + varint(2) + varint(7) + varint(5) + varint(1) + varint(10000)
    timed = struct.pack(">II", 2, 30000) + varint(3) + b"abc" + varint(1) + varint(2) + varint(3) + varint(4) + varint(5)
    yield b"\x00" + frame(0, 0) + frame(10, 0x82, define) + frame(10, 0x83, varint(1)) + frame(10, 0x80, upd) + frame(10, 0x85, timed) + frame(10, 0x84, varint(1) + struct.pack(">I", 2)) + frame(0, 4)
    yield b"\x02" + frame(10, 0x82, define) + frame(10, 0x81, upd[4:])
    yield b"\x00" + frame(1, 0) + frame(255, 1)


def exprs():
    base = ["src", "req.hdr(host),lower", "path,map_beg(/dev/null,default)", "hdr(x-forwarded-for,-1)",
            "str(abc),concat(-,txn.x,-),length", "int(5),add(3),mul(2)", "sc_http_req_rate(0)",
            "req.ssl_sni,lower,field(1,.)", "var(txn.a),base64,b64dec", "url_param(id),url_dec",
            "path_beg", "hdr_cnt(host) ", "bin(0a0b),hex,bytes(1,2)]", "src,ipmask(24,64)",
            "date(-3600),http_date", "req.body_param(x),json(utf8s)", "str(a b),regsub(a,b,g)"]
    for f in ["proxy-core/src/rules/format_tests.rs", "proxy-core/src/config/tests_http.rs"]:
        for v in literals(f, 3):
            for m in re.finditer(rb"%\[([^\]]*)\]", v):
                base.append(m.group(1).decode("utf-8", "replace"))
    return [b.encode() for b in base]


def v2(cmd_fam, addr, tlvs=b""):
    body = addr + tlvs
    return b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21 if cmd_fam else 0x20, cmd_fam]) + struct.pack(">H", len(body)) + body


def proxy_headers():
    for v in literals("proxy-core/src/proxy_proto/tests.rs", 6):
        if v.startswith(b"PROXY") or v.startswith(b"\r\n"):
            yield v
    yield b"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n"
    yield b"PROXY TCP6 ::1 ::2 1 2\r\n"
    yield b"PROXY UNKNOWN\r\n"
    ip4 = bytes([10, 0, 0, 1, 10, 0, 0, 2]) + struct.pack(">HH", 1234, 80)
    authority = bytes([0x02]) + struct.pack(">H", 5) + b"a.com"
    uid = bytes([0x05]) + struct.pack(">H", 3) + b"xyz"
    ssl_tlv = bytes([0x20]) + struct.pack(">H", 5) + b"\x01\x00\x00\x00\x00"
    yield v2(0x11, ip4, authority + uid + ssl_tlv)
    yield v2(0x21, bytes(16) + bytes(15) + b"\x01" + struct.pack(">HH", 1, 2))
    yield v2(0x00, b"")
    yield v2(0x31, b"/tmp/a".ljust(108, b"\0") + b"/tmp/b".ljust(108, b"\0"))


def client_hellos():
    out = []
    for sni, alpn in [("a.example.com", ["h2", "http/1.1"]), (None, []), ("x", ["h2"])]:
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        c.check_hostname = False
        c.verify_mode = ssl.CERT_NONE
        if alpn:
            c.set_alpn_protocols(alpn)
        o = ssl.MemoryBIO()
        s = c.wrap_bio(ssl.MemoryBIO(), o, server_hostname=sni)
        try:
            s.do_handshake()
        except ssl.SSLWantReadError:
            pass
        out.append(o.read())
    # SSLv2-compatible hello header, as old clients send.
    out.append(b"\x80\x2e\x01\x03\x01\x00\x15\x00\x00\x00\x10" + bytes(21) + bytes(16))
    return out


def main():
    write("http_request", http_requests(), controls=(0, 1, 0x42))
    write("http_chunked", chunked())
    write("http_response", responses(), controls=(0, 1, 2, 4, 8))
    write("config_parser", configs())
    write("config_tokenizer", config_lines(), controls=(0, 2))
    write("cli_line", cli(), controls=(0, 2))
    write("peers_msg", peers())
    write("sample_expr", exprs(), controls=(0, 1))
    write("proxy_proto", proxy_headers())
    write("tls_client_hello", client_hellos())
    return 0


if __name__ == "__main__":
    sys.exit(main())
