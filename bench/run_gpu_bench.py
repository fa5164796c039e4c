#!/usr/bin/env python3
"""vslice's overhead on a GPU machine, every figure against native in the
same run, repetitions interleaved (native, vslice, native, vslice, ...).

    bench/run_gpu_bench.py BUILD_DIR [--rounds N] [--only NAME]... [--json OUT.json]

Configurations:
  native        no interceptor
  vslice        libvslice.so preloaded, no limit (usage is still accounted)
  quota         a 64 GiB memory quota
  cap100        a limiter with a 100% cap (no cap: the pod stays ungated)
  weight-alone  a limiter in a node registry with a weight, alone on the
                device: the gate is managed and open, nothing bounded
  empty-preload an empty library preloaded (process start-up baseline)
Prints a table last: median per configuration, the spread (min-max), and
the difference to native.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser()
parser.add_argument("build")
parser.add_argument("--rounds", type=int, default=5)
parser.add_argument("--json")
parser.add_argument("--only", action="append", default=[],
                    help="run only benchmarks whose name contains this (repeatable)")
args = parser.parse_args()
build = os.path.abspath(args.build)
lib = f"{build}/lib/libvslice.so"
work = tempfile.mkdtemp(prefix="vslice-bench-")
base_env = {k: v for k, v in os.environ.items() if not k.startswith("VSLICE_") and k != "LD_PRELOAD"}
base_env["VSLICE_CONTEXT_RESERVE"] = "0"


def pod_env(name, **extra):
    env = dict(base_env, LD_PRELOAD=lib, VSLICE_REGION=f"{work}/{name}.region")
    env.update(extra)
    return env


limiters = []


def start_limiter(name, **extra):
    env = dict(base_env, VSLICE_REGION=f"{work}/{name}.region", **extra)
    p = subprocess.Popen([f"{build}/bin/vslice-limiter", "--region", env["VSLICE_REGION"],
                          "--log-file", f"{work}/{name}.log"], env=env)
    limiters.append(p)
    time.sleep(0.5)


CONFIGS = {
    "native": base_env,
    "vslice": pod_env("plain"),
    "quota": pod_env("quota", VSLICE_MEMORY_LIMIT="64g"),
    "cap100": pod_env("cap100", VSLICE_COMPUTE="100"),
    "weight-alone": pod_env("weight", VSLICE_WEIGHT="10", VSLICE_REGISTRY=f"{work}/node.registry"),
    # Any preloaded library, for the cost of process start-up.
    "empty-preload": dict(base_env, LD_PRELOAD=f"{build}/lib/libempty_preload.so"),
}
start_limiter("cap100", VSLICE_COMPUTE="100")
start_limiter("weight", VSLICE_WEIGHT="10", VSLICE_REGISTRY=f"{work}/node.registry")


def run(cmd, env):
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr[-2000:]}")
    return out.stdout


def number(text, key):
    for token in text.split():
        if token.startswith(key + "="):
            return float(token.split("=", 1)[1])
    sys.exit(f"no {key} in {text!r}")


def wall(cmd, env):
    t0 = time.perf_counter()
    run(cmd, env)
    return time.perf_counter() - t0


BENCHES = [
    # name, unit, configs, measure(env) -> value
    ("empty kernel launch", "ns/launch", list(CONFIGS),
     lambda env: number(run([f"{build}/bin/driver_overhead", "launch"], env), "ns_per_op")),
    ("graph launch (1 kernel)", "ns/launch", list(CONFIGS),
     lambda env: number(run([f"{build}/bin/driver_overhead", "graph"], env), "ns_per_op")),
    ("cuMemAlloc+cuMemFree 1 MiB", "ns/pair", ["native", "vslice", "quota"],
     lambda env: number(run([f"{build}/bin/driver_overhead", "alloc"], env), "ns_per_op")),
    ("cuMemAllocAsync+FreeAsync 1 MiB", "ns/pair", ["native", "vslice", "quota"],
     lambda env: number(run([f"{build}/bin/driver_overhead", "async"], env), "ns_per_op")),
    ("PyTorch small-kernel loop", "it/s", ["native", "vslice", "weight-alone"],
     lambda env: number(run([sys.executable, f"{here}/torch_loops.py", "small"], env),
                        "iterations_per_s")),
    ("PyTorch matmul loop", "it/s", ["native", "vslice", "weight-alone"],
     lambda env: number(run([sys.executable, f"{here}/torch_loops.py", "matmul"], env),
                        "iterations_per_s")),
    ("import torch; zeros(1).cuda()", "s", ["native", "vslice"],
     lambda env: wall([sys.executable, f"{here}/torch_loops.py", "startup"], env)),
    ("/bin/true x 200", "ms", ["native", "empty-preload", "vslice"],
     lambda env: 1000 * wall(["/bin/sh", "-c", "i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done"], env)),
]

results = {}
for name, unit, configs, measure in BENCHES:
    if args.only and not any(part in name for part in args.only):
        continue
    values = {c: [] for c in configs}
    for _ in range(args.rounds):
        for c in configs:  # interleaved
            values[c].append(measure(CONFIGS[c]))
    results[name] = {"unit": unit, "values": values}
    med = {c: statistics.median(v) for c, v in values.items()}
    print(f"{name}: " + ", ".join(f"{c} {med[c]:.4g}" for c in configs), flush=True)

for p in limiters:
    p.terminate()
    p.wait()

print()
print(f"{'benchmark':34} {'config':13} {'median':>12} {'spread (min-max)':>22} {'vs native':>12}")
for name, r in results.items():
    native = statistics.median(r["values"]["native"])
    for c, v in r["values"].items():
        m = statistics.median(v)
        delta = m - native
        rel = f"{m / native:.4f}x" if c != "native" else ""
        if r["unit"] in ("ns/launch", "ns/pair") and c != "native":
            rel = f"{delta:+.0f} ns"
        print(f"{name:34} {c:13} {m:12.4g} {min(v):10.4g}-{max(v):<10.4g} {rel:>12} {r['unit']}")
if args.json:
    json.dump(results, open(args.json, "w"), indent=1)
