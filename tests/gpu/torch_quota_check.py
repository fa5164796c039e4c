"""PyTorch under a pod quota: what it sees, and that it cannot exceed it.

Run with the interceptor preloaded and VSLICE_MEMORY_LIMIT set; prints one
`check NAME PASS|FAIL detail` line per check and exits non-zero on a failure.
"""
import os
import sys

import torch

MiB = 1 << 20
quota = int(os.environ["EXPECT_QUOTA_BYTES"])
reserve = int(os.environ.get("EXPECT_RESERVE_BYTES", "0"))  # this process's context
failures = 0


def check(name, ok, detail):
    global failures
    failures += 0 if ok else 1
    print(f"check {name} {'PASS' if ok else 'FAIL'} {detail}", flush=True)


free, total = torch.cuda.mem_get_info()
check("torch_mem_get_info_total", total == quota, f"total={total} quota={quota}")
check("torch_mem_get_info_free", free == quota - reserve, f"free={free} reserve={reserve}")
props = torch.cuda.get_device_properties(0)
check("torch_total_memory", props.total_memory == quota, f"total_memory={props.total_memory}")

try:
    torch.empty(quota + 256 * MiB, dtype=torch.uint8, device="cuda")
    check("torch_oversize_raises_oom", False, "allocation beyond the quota succeeded")
except torch.OutOfMemoryError as e:
    check("torch_oversize_raises_oom", True, type(e).__name__)

blocks = []
try:
    while True:
        blocks.append(torch.empty(128 * MiB, dtype=torch.uint8, device="cuda"))
except torch.OutOfMemoryError:
    pass
held = len(blocks) * 128 * MiB
check("torch_fill_within_quota", 0 < held <= quota - reserve,
      f"held={held} quota={quota} alloc_conf={os.environ.get('PYTORCH_CUDA_ALLOC_CONF', '')}")
check("torch_fill_reaches_quota", held >= quota - reserve - 256 * MiB, f"held={held}")
del blocks
torch.cuda.empty_cache()
x = torch.randn(1024, 1024, device="cuda")
check("torch_compute_still_works", abs(float((x @ x.T).trace()) - float((x * x).sum())) < 1.0,
      "matmul after OOM")
sys.exit(1 if failures else 0)
