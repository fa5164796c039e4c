"""PyTorch loops for the overhead benchmark.

    python3 torch_loops.py small|matmul|startup

small    elementwise ops on 1024 elements, 100,000 iterations (launch-bound)
matmul   4096x4096 fp16 matmuls for about 3 s (compute-bound)
startup  import torch; torch.zeros(1).cuda() (timed by the caller)

Prints "<mode> iterations_per_s=<N>" (or "startup ok").
"""
import sys
import time

import torch

mode = sys.argv[1]
if mode == "startup":
    torch.zeros(1).cuda()
    torch.cuda.synchronize()
    print("startup ok")
    sys.exit(0)

if mode == "small":
    x = torch.randn(1024, device="cuda")
    y = torch.randn(1024, device="cuda")
    for _ in range(2000):
        x = x * 0.5 + y
    torch.cuda.synchronize()
    n = 100_000
    t0 = time.perf_counter()
    for _ in range(n):
        x = x * 0.5 + y  # two kernels per iteration
    torch.cuda.synchronize()
    print(f"small iterations_per_s={n / (time.perf_counter() - t0):.1f}")
elif mode == "matmul":
    a = torch.randn(4096, 4096, device="cuda", dtype=torch.float16)
    b = torch.randn(4096, 4096, device="cuda", dtype=torch.float16)
    for _ in range(50):
        c = a @ b
    torch.cuda.synchronize()
    n = 12_000
    t0 = time.perf_counter()
    for _ in range(n):
        c = a @ b
    torch.cuda.synchronize()
    print(f"matmul iterations_per_s={n / (time.perf_counter() - t0):.1f}")
else:
    sys.exit(f"unknown mode {mode}")
