#!/usr/bin/env python3
"""Independent RFC 6962 reference (section 2.1, recursive definitions) used by
src/tree.test.ts to cross-check @provenant/log. Reads JSON on stdin:
{"leaves": [hex entry...], "roots": [n...], "inclusion": [[m, n]...], "consistency": [[m, n]...]}
and prints the same keys with hex results."""
import hashlib, json, sys

def mth(d):
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()

def path(m, d):
    n = len(d)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]

def subproof(m, d, b):
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]

req = json.load(sys.stdin)
leaves = [bytes.fromhex(x) for x in req["leaves"]]
out = {
    "roots": [mth(leaves[:n]).hex() for n in req["roots"]],
    "inclusion": [[h.hex() for h in path(m, leaves[:n])] for m, n in req["inclusion"]],
    "consistency": [[h.hex() for h in subproof(m, leaves[:n], True)] for m, n in req["consistency"]],
}
json.dump(out, sys.stdout)
