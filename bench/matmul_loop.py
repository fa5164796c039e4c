"""A compute-bound tenant: 4096x4096 fp16 matmuls back to back.

    python3 matmul_loop.py --start UNIX_TIME --seconds S [--label NAME]

Warms up, waits for the wall-clock start time (so that tenants started
together measure the same window), then runs matmuls for S seconds and prints
one JSON line: iterations per second over the window and per 100 ms bucket.
"""
import argparse
import json
import time

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--start", type=float, required=True)
parser.add_argument("--seconds", type=float, required=True)
parser.add_argument("--label", default="tenant")
parser.add_argument("--size", type=int, default=4096)
args = parser.parse_args()

a = torch.randn(args.size, args.size, device="cuda", dtype=torch.float16)
b = torch.randn(args.size, args.size, device="cuda", dtype=torch.float16)
for _ in range(20):
    c = a @ b
torch.cuda.synchronize()

while time.time() < args.start:
    time.sleep(0.001)

# Completion times: an event every 8 iterations tells when the GPU finished
# them, so the buckets show device progress, not how fast Python enqueued.
events = []
t0 = time.time()
i = 0
end = t0 + args.seconds
while time.time() < end:
    c = a @ b
    i += 1
    if i % 8 == 0:
        e = torch.cuda.Event(enable_timing=True)
        e.record()
        events.append((i, e))
torch.cuda.synchronize()
elapsed = time.time() - t0
# Bucket the iterations by when the GPU finished them, relative to the first
# event (elapsed_time needs both events complete, which they are now).
first_i, first = events[0]
buckets = {}
for n, e in events:
    ms = first.elapsed_time(e)
    buckets[int(ms // 100)] = n
series = []
last = first_i
for k in range(max(buckets) + 1 if buckets else 0):
    n = buckets.get(k, last)
    series.append(n - last)
    last = n
# The GPU time one iteration takes: the median gap between consecutive
# events, per iteration (a group that straddles a closed gate is an outlier
# the median ignores). iterations x that time = the device time the tenant
# used, which is what a cap bounds; throughput can differ from it when the
# GPU runs at other clocks (a GPU idle part of the time boosts higher).
gaps = sorted(e1.elapsed_time(e2) / (n2 - n1)
              for (n1, e1), (n2, e2) in zip(events, events[1:]))
iter_ms = gaps[len(gaps) // 2] if gaps else 0.0
print(json.dumps({"label": args.label, "iterations": i, "seconds": elapsed,
                  "rate": i / elapsed, "iter_ms": iter_ms,
                  "device_fraction": i * iter_ms / 1000.0 / elapsed,
                  "per_100ms": series}), flush=True)
