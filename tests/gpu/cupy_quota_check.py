"""CuPy under a pod quota; same output convention as torch_quota_check.py."""
import os
import sys

import cupy

MiB = 1 << 20
quota = int(os.environ["EXPECT_QUOTA_BYTES"])
failures = 0


def check(name, ok, detail):
    global failures
    failures += 0 if ok else 1
    print(f"check {name} {'PASS' if ok else 'FAIL'} {detail}", flush=True)


free, total = cupy.cuda.runtime.memGetInfo()
check("cupy_mem_get_info_total", total == quota, f"total={total} quota={quota}")
try:
    cupy.empty(quota + 256 * MiB, dtype=cupy.uint8)
    check("cupy_oversize_raises_oom", False, "allocation beyond the quota succeeded")
except cupy.cuda.memory.OutOfMemoryError as e:
    check("cupy_oversize_raises_oom", True, type(e).__name__)
cupy.get_default_memory_pool().free_all_blocks()
a = cupy.ones(1 << 20, dtype=cupy.float32)
check("cupy_compute_still_works", float(a.sum()) == float(1 << 20), "sum after OOM")
sys.exit(1 if failures else 0)
