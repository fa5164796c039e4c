#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/).

The seeds follow each target's input format (see the comment at the top of
each fuzz_*.cc): they start the fuzzer at the interesting places (units,
overflow, malformed variables, wrong versions, frozen ledgers, garbage
holders) instead of from nothing. Run it after changing a format; the files
are checked in.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# fuzz_size_parse: a selector byte (0 size, 1 megabytes, 2 bool, 3 int), the text.
for i, (sel, text) in enumerate([
        (0, "1g"), (0, "1.5GiB"), (0, " 1024m "), (0, "2gb2"), (0, "0.0000001t"),
        (0, "18446744073709551615"), (0, "18446744073709551616"), (0, "16777216t"),
        (0, "-1"), (0, "1e9"), (0, "1..5g"), (1, "1024"), (1, "17592186044416"),
        (2, "TRUE"), (2, " off"), (3, "-5"), (3, "42"), (3 + 4 * 7, "9223372036854775808")]):
    write("fuzz_size_parse", "seed-%02d" % i, bytes([sel]) + text.encode())

# fuzz_options: records "<selector><value>\n"; the selector indexes this list.
NAMES = ["VSLICE_DISABLE", "CUDA_DISABLE_CONTROL", "VSLICE_MEMORY_LIMIT",
         "CUDA_DEVICE_MEMORY_LIMIT", "NPU_MEM_QUOTA", "VSLICE_REGION",
         "CUDA_DEVICE_MEMORY_SHARED_CACHE", "VSLICE_REGISTRY", "NPU_GLOBAL_SHM_PATH",
         "VSLICE_CONTEXT_RESERVE", "VSLICE_COMPUTE", "CUDA_DEVICE_SM_LIMIT", "VSLICE_WEIGHT",
         "NPU_PRIORITY", "CUDA_TASK_PRIORITY", "GPU_CORE_UTILIZATION_POLICY",
         "VSLICE_OVERSUBSCRIBE", "CUDA_OVERSUBSCRIBE", "VSLICE_LOG_LEVEL", "LIBCUDA_LOG_LEVEL",
         "VSLICE_LIMITER", "VSLICE_AUTO_LIMITER"]
for d in range(17):
    NAMES += ["VSLICE_MEMORY_LIMIT_%d" % d, "CUDA_DEVICE_MEMORY_LIMIT_%d" % d]
NAMES += ["VSLICE_PRIORITY", "VSLICE_INFLIGHT_US", "VSLICE_HOLD_US", "VSLICE_SLOT_MS",
          "VSLICE_POD_DIR"]


def record(name, value):
    return bytes([NAMES.index(name)]) + value + b"\n"


write("fuzz_options", "hami", record("CUDA_DEVICE_MEMORY_LIMIT_0", b"3000m") +
      record("CUDA_DEVICE_SM_LIMIT", b"30") + record("CUDA_DEVICE_MEMORY_SHARED_CACHE", b"/tmp/x.cache"))
write("fuzz_options", "malformed", record("CUDA_DEVICE_MEMORY_LIMIT", b"2gb2") +
      record("VSLICE_COMPUTE", b"150") + record("VSLICE_WEIGHT", b"0") +
      record("GPU_CORE_UTILIZATION_POLICY", b"FORCE ") + record("VSLICE_LOG_LEVEL", b"9"))
write("fuzz_options", "paths", record("VSLICE_REGION", b"relative/path") +
      record("VSLICE_REGISTRY", b"/" + b"a" * 600) + record("VSLICE_LIMITER", b""))
write("fuzz_options", "ascend", record("NPU_MEM_QUOTA", b"4096") + record("NPU_PRIORITY", b"20") +
      record("NPU_GLOBAL_SHM_PATH", b"/hami-shared-region/global_registry"))
write("fuzz_options", "classes", record("VSLICE_PRIORITY", b"Best-Effort") +
      record("CUDA_TASK_PRIORITY", b"0") + record("VSLICE_INFLIGHT_US", b"49") +
      record("VSLICE_HOLD_US", b"100001") + record("VSLICE_SLOT_MS", b"\xff5"))
write("fuzz_options", "bytes", record("VSLICE_MEMORY_LIMIT_15", b"1g\x01\x7f\"\\\xff") +
      record("CUDA_TASK_PRIORITY", b"1") + record("VSLICE_AUTO_LIMITER", b"maybe") +
      record("VSLICE_DISABLE", b"yes"))

# fuzz_pod_region / fuzz_node_registry: a mode byte, then patches
# (<offset u32><length u8><bytes>), then words and bytes for the rest.
def patch(offset, data):
    return struct.pack("<IB", offset, len(data)) + data


NO_PATCH = patch(0, b"")
REGION_DEVICES, REGION_SLOTS = 256, 256 + 16 * 128 * 2
write("fuzz_pod_region", "garbage", b"\x00" + b"not a region at all")
write("fuzz_pod_region", "magic-only", b"\x00" + struct.pack("<QI", 0x31524543494C5356, 1))
write("fuzz_pod_region", "wrong-version", b"\x01" + patch(8, struct.pack("<I", 1)))
write("fuzz_pod_region", "frozen-ledger", b"\x01" +
      patch(REGION_DEVICES, struct.pack("<Q", (1 << 63) | 12345)) + NO_PATCH * 15 +
      b"\xff" * 8 * 16 + b"\x00" + b"\x00" * 8 + b"\x00\x00")
write("fuzz_pod_region", "garbage-slots", b"\x01" +
      patch(REGION_SLOTS, b"\x07\x00\x00\x00\x2a\x00\x00\x00\x09\x00\x00\x00") +
      patch(REGION_SLOTS + 1024, b"\x01\x00\x00\x00") +
      patch(REGION_SLOTS + 1024 + 16, struct.pack("<Q", 1 << 40)))
# A whole header's worth of raw bytes: read where the input lies (one byte
# in, so misaligned) it must be refused by address, not read.
write("fuzz_pod_region", "raw-header", b"\x00" + struct.pack("<QI", 0x31524543494C5356, 1) +
      b"\x00" * 300)
write("fuzz_pod_region", "truncated", b"\x02" + NO_PATCH * 16 + struct.pack(">Q", 4096))
# A quota of "no limit" and a charge of 2^64 - 1 bytes.
write("fuzz_pod_region", "huge-charge", b"\x03" + b"\xff" * 8 * 16 + NO_PATCH * 16 +
      b"\x00" + b"\xff" * 8 + b"\x00" + b"\x00")

REGISTRY_DEVICES, REGISTRY_PODS = 256, 256 + 64 * 128
write("fuzz_node_registry", "garbage", b"\x00" + b"not a registry")
write("fuzz_node_registry", "wrong-version", b"\x01" + patch(8, struct.pack("<I", 9)))
write("fuzz_node_registry", "holders", b"\x01" +
      patch(REGISTRY_DEVICES, struct.pack("<I", 2) + b"vsliceSIMdev\x00\x00\x00\x00" +
            struct.pack("<I", 0x7fffffff)) +
      patch(REGISTRY_DEVICES + 128 + 20, struct.pack("<I", (9 << 16) | 300)))
write("fuzz_node_registry", "pods", b"\x01" +
      patch(REGISTRY_PODS, struct.pack("<Ii", 1, 4242) + b"\x00" * 8 + b"n" * 48) +
      patch(REGISTRY_PODS + 64, struct.pack("<IIQQ", 1, 0, (1 << 64) - 1, 7)))
write("fuzz_node_registry", "raw-header", b"\x00" + b"\x00" * 300)
write("fuzz_node_registry", "truncated", b"\x02" + NO_PATCH * 16 + struct.pack(">Q", 300))
write("fuzz_node_registry", "created", b"\x03" +
      patch(0, struct.pack("<I", 2) + b"vsliceSIMdev\x00\x00\x00\x00") + b"vsliceSIMdev\x00\x00\x00\x00")
