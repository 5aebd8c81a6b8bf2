#!/usr/bin/env python3
"""Captures HAProxy's answers to the CLI commands of commands.txt.

Run from this directory with a HAProxy 2.6 started on haproxy.cfg (its
stats socket is /tmp/wt-maps-hap.sock). `{ptr:map|acl:<ref>:<n>}` in a
command stands for the entry id of the n-th line of `show map|acl <ref>`
at that moment. Writes cli.txt: each command after `### `, then the
answer exactly as received.
"""
import re
import socket

SOCK = "/tmp/wt-maps-hap.sock"


def ask(cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCK)
    s.sendall(cmd.encode() + b"\n")
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out.decode()


def resolve(cmd):
    def sub(m):
        kind, ref, n = m.group(1), m.group(2), int(m.group(3))
        lines = ask(f"show {kind} {ref}").splitlines()
        return "#" + lines[n].split()[0]
    return re.sub(r"\{ptr:(map|acl):([^:}]+):(\d+)\}", sub, cmd)


with open("commands.txt") as f, open("cli.txt", "w") as out:
    for cmd in f.read().split("\n"):
        if not cmd:
            continue
        out.write(f"### {cmd}\n")
        out.write(ask(resolve(cmd)))
