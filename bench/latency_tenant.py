"""A latency-critical tenant: one request every PERIOD ms, a request being
MATMULS fp16 SIZE x SIZE matmuls followed by a synchronize.

    python3 latency_tenant.py --start UNIX_TIME --seconds S [--period-ms 20]
                              [--matmuls 8] [--size 2048] [--label NAME]

Warms up, waits for the wall-clock start time (so that tenants started
together measure the same window), sends requests for S seconds and prints
one JSON line: the request latencies' p50, p99 and max in milliseconds (from
the first launch of a request to the end of its synchronize), and the count.
"""
import argparse
import json
import time

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--start", type=float, required=True)
parser.add_argument("--seconds", type=float, required=True)
parser.add_argument("--period-ms", type=float, default=20.0)
parser.add_argument("--matmuls", type=int, default=8)
parser.add_argument("--size", type=int, default=2048)
parser.add_argument("--label", default="latency")
args = parser.parse_args()

a = torch.randn(args.size, args.size, device="cuda", dtype=torch.float16)
b = torch.randn(args.size, args.size, device="cuda", dtype=torch.float16)
c = torch.empty(args.size, args.size, device="cuda", dtype=torch.float16)


def request():
    # Independent products into one buffer: no allocation, no overflow.
    for _ in range(args.matmuls):
        torch.matmul(a, b, out=c)
    torch.cuda.synchronize()


for _ in range(20):
    request()

while time.time() < args.start:
    time.sleep(0.001)

latencies = []
period = args.period_ms / 1000.0
next_at = time.perf_counter()
end = time.time() + args.seconds
while time.time() < end:
    now = time.perf_counter()
    if now < next_at:
        time.sleep(next_at - now)
    next_at += period
    t0 = time.perf_counter()
    request()
    latencies.append((time.perf_counter() - t0) * 1000.0)

latencies.sort()


def at(q):
    return latencies[min(len(latencies) - 1, int(q * len(latencies)))]


print(json.dumps({"label": args.label, "requests": len(latencies), "p50_ms": at(0.50),
                  "p99_ms": at(0.99), "max_ms": latencies[-1]}), flush=True)
