"""A PyTorch CUDA graph captured and replayed in a pod whose compute vslice gates.

torch.cuda.graph captures in global mode by default, as torch.compile's
"reduce-overhead" mode and vLLM do. Captures 200 small in-place ops, replays
the graph 50 times and checks the result; prints one `check NAME PASS|FAIL
detail` line per check and exits non-zero on a failure.
"""
import sys

import torch

OPS = 200
REPLAYS = 50
failures = 0


def check(name, ok, detail):
    global failures
    failures += 0 if ok else 1
    print(f"check {name} {'PASS' if ok else 'FAIL'} {detail}", flush=True)


acc = torch.zeros(4096, device="cuda")
step = torch.ones(4096, device="cuda")


def body():
    for _ in range(OPS):
        acc.add_(step)


# Warm up on a side stream, as PyTorch's documentation asks before a capture.
side = torch.cuda.Stream()
side.wait_stream(torch.cuda.current_stream())
with torch.cuda.stream(side):
    body()
torch.cuda.current_stream().wait_stream(side)

graph = torch.cuda.CUDAGraph()
try:
    with torch.cuda.graph(graph):
        body()
    check("torch_cuda_graph_capture", True, f"{OPS} ops captured in global mode")
except RuntimeError as e:
    check("torch_cuda_graph_capture", False, str(e).splitlines()[0])
    sys.exit(1)

acc.zero_()
for _ in range(REPLAYS):
    graph.replay()
torch.cuda.synchronize()
expected = float(OPS * REPLAYS)
got_min, got_max = float(acc.min()), float(acc.max())
check("torch_cuda_graph_replays", got_min == expected and got_max == expected,
      f"{REPLAYS} replays: every element {got_min}..{got_max}, expected {expected}")
sys.exit(1 if failures else 0)
