#!/usr/bin/env python3
"""A toy objective speaking the autoglm trial protocol (docs/protocol.md).

Minimizes (x - 2)^2 + (y + 1)^2 (+ 0.5 when `shape` is "bumpy"), reporting a decaying
"training curve" as intermediate values so that pruners have something to look at.
Run by hand: python3 quadratic.py --x 1.5 --y 0 --shape smooth
"""
import argparse
import json
import os
import time

parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float, required=True)
parser.add_argument("--y", type=int, required=True)
parser.add_argument("--shape", default="smooth")
parser.add_argument("--bump", type=float, default=0.0)
parser.add_argument("--steps", type=int, default=5)
parser.add_argument("--sleep", type=float, default=0.02)
args = parser.parse_args()

fd = os.environ.get("AUTOGLM_REPORT_FD")
channel = os.fdopen(int(fd), "w", buffering=1) if fd else None


def send(obj):
    if channel:
        channel.write(json.dumps(obj) + "\n")
    else:
        print(json.dumps(obj))


value = (args.x - 2.0) ** 2 + (args.y + 1) ** 2 + (args.bump if args.shape == "bumpy" else 0.0)
for step in range(1, args.steps + 1):
    time.sleep(args.sleep)
    send({"step": step, "value": value + 1.0 / step})
send({"value": value})
