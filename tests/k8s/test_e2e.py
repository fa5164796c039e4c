"""End to end on the simulated GPU: the kubelet stand-in allocates for pods
annotated as HAMi's scheduler annotates them, each "container" is a process
started with exactly the returned environment and mounts
(container_runner.py), running vslice_probe. The quota and the cap hold, two
pods on one GPU arbitrate through the mounted node registry, NVML inside (what
nvidia-smi reads) reports the quota, and the node's metrics endpoint reports
every container while they run."""

import json
import os
import re
import signal
import subprocess
import time
import unittest
import urllib.request

import container_runner
from k8s_harness import (BIN, SIM_LIB, container, hami_pod, kill_processes_of, set_up_node, sim_uuid,
                         start_plugin, wait_for)

GPU0 = sim_uuid(0)
MIB = 1 << 20
PROBE = os.path.join(BIN, "vslice_probe")


class EndToEndTest(unittest.TestCase):
    def setUp(self):
        set_up_node(self)
        start_plugin(self, devices=1, memory="16g", extra=["--cleanup-interval", "1"])
        self.kubelet.wait_registrations(1)
        self.addCleanup(self.kill_leftovers)
        # What the node gives every container besides the plugin's answer: the
        # driver's libraries (here the simulated ones) and the device itself.
        self.node_env = {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": SIM_LIB,
                         "VSLICE_SIM_STATE": self.plugin.state, "VSLICE_SIM_DEVICES": "1",
                         "VSLICE_SIM_MEMORY": "16g"}
        print(f"containers run in mode: {container_runner.MODE}")

    def kill_leftovers(self):
        kill_processes_of(self.work)

    def allocate(self, name, annotation, containers, shares):
        hami_pod(self.api, "team", name, annotation, containers)
        return self.kubelet.allocate(shares).container_responses

    def run_container(self, response, steps, pod_env=None):
        return container_runner.start(response, [PROBE, *steps], self.node_env,
                                      {"VSLICE_CONTEXT_RESERVE": "0", **(pod_env or {})}, self.work)

    def finish(self, proc, timeout=30):
        out, _ = proc.communicate(timeout=timeout)
        self.assertEqual(proc.returncode, 0, out)
        return out

    def metrics(self):
        port = self.plugin.metrics_port()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
            return r.read().decode()

    def test_quota_cap_registry_nvml_and_metrics(self):
        train_a, train_b = self.allocate(
            "train", f"{GPU0},NVIDIA,2000,30:;{GPU0},NVIDIA,1000,0:;",
            [container("a", {"nvidia.com/gpu": "1"}), container("b", {"nvidia.com/gpu": "1"})],
            [[f"{GPU0}-0"], [f"{GPU0}-1"]])
        (serve,) = self.allocate("serve", f"{GPU0},NVIDIA,3000,0:;",
                                 [container("main", {"nvidia.com/gpu": "1"})], [[f"{GPU0}-2"]])

        # Container a: NVML (nvidia-smi's source) and cuMemGetInfo show the
        # quota; allocation stops at it; it holds its memory while the
        # metrics are read.
        # (hold, not wait: a test's standard input may be closed already.)
        a = self.run_container(train_a, ["nvml", "info", "fill:256m", "ready", "hold:20000"])
        lines = []
        while True:
            line = a.stdout.readline()
            self.assertTrue(line, "container a ended early: " + "".join(lines))
            lines.append(line)
            if line.strip() == "ready":
                break
        text = "".join(lines)
        self.assertRegex(text, rf"nvml total={2000 * MIB} used=0 free={2000 * MIB}")
        self.assertRegex(text, rf"info free={2000 * MIB} total={2000 * MIB}")
        m = re.search(r"fill (\d+) blocks (\d+) bytes -> (\w+)", text)
        self.assertEqual(m.group(1), "7", text)  # 7 × 256 MiB fit in 2000 MiB, the 8th does not
        self.assertEqual(m.group(3), "2", text)  # CUDA_ERROR_OUT_OF_MEMORY

        # The metrics endpoint sees every container, a's use while it holds it.
        used = f'hami_vgpu_memory_used_bytes{{namespace="team",pod="train",container="a",vdevice_index="0",' \
               f'device_uuid="{GPU0}"}} {7 * 256 * MIB}\n'
        page = wait_for(lambda: (lambda p: used in p and p)(self.metrics()), 10, "container a's use in the metrics")
        for ctr, mib in (("a", 2000), ("b", 1000), ("main", 3000)):
            self.assertRegex(page, rf'hami_vgpu_memory_limit_bytes\{{namespace="team",pod="\w+",container="{ctr}",'
                                   rf'vdevice_index="0",device_uuid="{GPU0}"\}} {mib * MIB}\n')
        self.assertIn("vslice_device_plugin_up{node=\"node-a\"} 1", page)
        a.kill()
        a.wait()

        # The cap: a capped at 30 % gets about 30 % of the device's time.
        capped = self.finish(self.run_container(train_a, ["spin:1500"]))
        kernels, elapsed = map(int, re.search(r"spin kernels=(\d+) elapsed_us=(\d+)", capped).groups())
        share = kernels * 100 / elapsed  # 100 µs per simulated kernel
        self.assertGreater(share, 0.18, capped)
        self.assertLess(share, 0.42, capped)

        # Two pods on one GPU: weights 1 and 3 split contended time about
        # 1:3, which only the node registry they both mount can arrange.
        b = self.run_container(train_b, ["spin:2500"], {"VSLICE_WEIGHT": "1"})
        s = self.run_container(serve, ["spin:2500"], {"VSLICE_WEIGHT": "3"})
        out_b, out_s = self.finish(b), self.finish(s)
        kb = int(re.search(r"spin kernels=(\d+)", out_b).group(1))
        ks = int(re.search(r"spin kernels=(\d+)", out_s).group(1))
        self.assertGreater(ks / max(kb, 1), 2.0, (out_b, out_s))
        self.assertLess(ks / max(kb, 1), 4.5, (out_b, out_s))
        self.assertTrue(os.path.exists(os.path.join(self.plugin.registry, "vslice.registry")))

    def registry_pods(self):
        """The node registry's pods as `vslice status` reads them ([] until a
        limiter has made the registry)."""
        path = os.path.join(self.plugin.registry, "vslice.registry")
        if not os.path.exists(path):
            return []
        out = subprocess.run([os.path.join(BIN, "vslice"), "status", "--registry", path, "--interval", "0",
                              "--json"], env={**self.node_env, "VSLICE_POD_DIR": self.work},
                             capture_output=True, text=True, timeout=30)
        registry = json.loads(out.stdout)["registry"] if out.stdout else None
        self.assertTrue(registry and "pods" in registry, out.stdout + out.stderr)
        return registry["pods"]

    def test_a_deleted_pods_registry_entry_is_freed(self):
        # A pod's limiter joins the node registry and keeps its entry for as
        # long as it lives. Deleting a pod kills its processes, limiter
        # included (SIGKILL after the grace period), so nobody gives the
        # entry back: the node's cleanup frees it.
        (gone,) = self.allocate("gone", f"{GPU0},NVIDIA,1000,0:;", [container("main", {"nvidia.com/gpu": "1"})],
                                [[f"{GPU0}-0"]])
        (stays,) = self.allocate("stays", f"{GPU0},NVIDIA,1000,0:;", [container("main", {"nvidia.com/gpu": "1"})],
                                 [[f"{GPU0}-1"]])
        g = self.run_container(gone, ["spin:60000"])
        s = self.run_container(stays, ["spin:60000"])
        for proc in (g, s):
            self.addCleanup(self.stop_container, proc)
        pods = wait_for(lambda: (lambda ps: len([p for p in ps if p["alive"]]) == 2 and ps)(self.registry_pods()),
                        15, "both pods' limiters in the node registry")
        uid = self.api.pod("team", "gone")["metadata"]["uid"]
        gone_entry = [p for p in pods if uid in self.limiter_command(p["limiter_pid"])]
        self.assertEqual(len(gone_entry), 1, (pods, [self.limiter_command(p["limiter_pid"]) for p in pods]))
        gone_pid = gone_entry[0]["limiter_pid"]

        g.kill()
        g.wait()
        os.kill(gone_pid, signal.SIGKILL)
        self.api.delete("/api/v1/namespaces/team/pods/gone")
        left = wait_for(lambda: (lambda ps: all(p["limiter_pid"] != gone_pid for p in ps) and ps)(self.registry_pods()),
                        10, "the deleted pod's registry entry to be freed")
        self.assertEqual([p["alive"] for p in left], [True], left)
        self.assertIn("cleanup: freed 1 node-registry entry", self.plugin.read_log())
        page = self.metrics()
        self.assertRegex(page, r'vslice_device_plugin_registry_entries_freed_total\{node="node-a"\} 1\n')
        self.assertIsNone(s.poll(), "the pod that stays was stopped")

    @staticmethod
    def stop_container(proc):
        proc.kill()
        proc.communicate()

    @staticmethod
    def limiter_command(pid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                return f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return ""


if __name__ == "__main__":
    unittest.main()
