"""vslice-device-plugin against the kubelet and API-server stand-ins, on the
simulated GPUs: registration, ListAndWatch and health, Allocate for pods
annotated as HAMi's scheduler annotates them, the node protocol (register
annotation, handshake, lock, bind phase), kubelet and plugin restarts, and
the cleanup of deleted pods."""

import json
import os
import time
import unittest

import grpc

from k8s_harness import NODE, container, hami_pod, set_up_node, sim_uuid, start_plugin, wait_for

GPU0, GPU1 = sim_uuid(0), sim_uuid(1)
# Two containers, 3000 MiB and 5000 MiB on the same GPU, no core limit: the
# example of HAMi's protocol document, with the simulated GPU's UUID.
TWO_CONTAINERS = f"{GPU0},NVIDIA,3000,0:;{GPU0},NVIDIA,5000,0:;"


class PluginTest(unittest.TestCase):
    def setUp(self):
        set_up_node(self)

    def start_plugin(self, **kw):
        plugin = start_plugin(self, **kw)
        self.kubelet.wait_registrations(1)
        return plugin

    def annotations(self, obj):
        return obj["metadata"].get("annotations", {})


class RegistrationTest(PluginTest):
    def test_registers_and_lists_ten_shares_per_gpu(self):
        self.start_plugin()
        reg = self.kubelet.registrations[0]
        self.assertEqual(reg.version, "v1beta1")
        self.assertEqual(reg.resource_name, "nvidia.com/gpu")
        self.assertEqual(reg.endpoint, "vslice-nvidia.sock")
        self.assertTrue(reg.options.get_preferred_allocation_available)
        self.assertTrue(self.kubelet.options.get_preferred_allocation_available)
        devices = self.kubelet.wait_list(lambda d: len(d) == 20)
        self.assertEqual(sorted(d.ID for d in devices),
                         sorted([f"{GPU0}-{i}" for i in range(10)] + [f"{GPU1}-{i}" for i in range(10)]))
        self.assertTrue(all(d.health == "Healthy" for d in devices))

    def test_node_annotations_are_hamis_register_format(self):
        self.start_plugin(extra=["--split-count", "4", "--memory-scaling", "1.5"])
        node = wait_for(lambda: "hami.io/node-nvidia-register" in self.annotations(self.api.node())
                        and self.api.node(), 10, "the register annotation")
        anno = self.annotations(node)
        # Byte for byte what HAMi's plugin writes (Go's encoding/json with
        # omitempty: index 0 and numa 0 are left out).
        self.assertEqual(
            anno["hami.io/node-nvidia-register"],
            f'[{{"id":"{GPU0}","count":4,"devmem":24576,"devcore":100,'
            f'"type":"NVIDIA-vslice simulated GPU","mode":"hami-core","health":true}},'
            f'{{"id":"{GPU1}","index":1,"count":4,"devmem":24576,"devcore":100,'
            f'"type":"NVIDIA-vslice simulated GPU","mode":"hami-core","health":true}}]')
        self.assertRegex(anno["hami.io/node-handshake"], r"^Reported_\d{4}\.\d\d\.\d\d \d\d:\d\d:\d\d$")

    def test_register_annotation_is_refreshed_after_the_scheduler_writes_requesting(self):
        self.start_plugin(extra=["--register-interval", "1"])
        wait_for(lambda: "hami.io/node-handshake" in self.annotations(self.api.node()), 10, "handshake")
        # HAMi's scheduler answers with Requesting_<time>; the node reports again.
        self.api.patch(f"/api/v1/nodes/{NODE}",
                       {"metadata": {"annotations": {"hami.io/node-handshake": "Requesting_2024.01.10 04:06:57"}}})
        wait_for(lambda: self.annotations(self.api.node())["hami.io/node-handshake"].startswith("Reported_"),
                 5, "the handshake reported again")


class AllocateTest(PluginTest):
    def test_two_container_pod_from_hamis_annotations(self):
        plugin = self.start_plugin()
        hami_pod(self.api, "default", "pod1", TWO_CONTAINERS,
                 [container("ctr-a", {"nvidia.com/gpu": "1", "nvidia.com/gpumem": "3000", "nvidia.com/priority": "0"}),
                  container("ctr-b", {"nvidia.com/gpu": "1", "nvidia.com/gpumem": "5000"},
                            env={"CUDA_DISABLE_CONTROL": "true"})])
        uid = self.api.pod("default", "pod1")["metadata"]["uid"]
        response = self.kubelet.allocate([[f"{GPU0}-0"], [f"{GPU0}-1"]])
        self.assertEqual(len(response.container_responses), 2)
        a, b = response.container_responses
        vgpu = os.path.join(plugin.hook, "vgpu")
        self.assertEqual(dict(a.envs), {
            "NVIDIA_VISIBLE_DEVICES": GPU0,
            "CUDA_DEVICE_MEMORY_LIMIT_0": "3000m",
            "CUDA_DEVICE_SM_LIMIT": "0",
            "CUDA_DEVICE_MEMORY_SHARED_CACHE": f"{vgpu}/{uid}_ctr-a.cache",
            "CUDA_TASK_PRIORITY": "0",
            "VSLICE_REGISTRY": f"{plugin.registry}/vslice.registry",
        })
        self.assertEqual(b.envs["CUDA_DEVICE_MEMORY_LIMIT_0"], "5000m")
        self.assertNotIn("CUDA_TASK_PRIORITY", b.envs)
        self.assertEqual(sorted((m.container_path, m.host_path, m.read_only) for m in a.mounts), sorted([
            ("/etc/ld.so.preload", f"{vgpu}/ld.so.preload", True),
            (plugin.registry, plugin.registry, False),
            (vgpu, f"{vgpu}/containers/{uid}_ctr-a", False),
            (f"{vgpu}/libvgpu.so", f"{vgpu}/libvslice.so", True),
            (f"{vgpu}/vslice-limiter", f"{vgpu}/vslice-limiter", True),
        ]))
        # A folder is mounted before what is mounted inside it.
        depth = [m.container_path.count("/") for m in a.mounts]
        self.assertEqual(depth, sorted(depth))
        # CUDA_DISABLE_CONTROL=true: no /etc/ld.so.preload for that container.
        self.assertNotIn("/etc/ld.so.preload", [m.container_path for m in b.mounts])

        pod = self.api.pod("default", "pod1")
        anno = self.annotations(pod)
        self.assertEqual(anno["hami.io/bind-phase"], "success")
        self.assertEqual(anno["hami.io/vgpu-devices-to-allocate"], ";;")
        self.assertNotIn("hami.io/mutex.lock", self.annotations(self.api.node()))
        record = json.load(open(f"{vgpu}/containers/{uid}_ctr-a/allocation.json"))
        self.assertEqual((record["namespace"], record["pod"], record["container"]), ("default", "pod1", "ctr-a"))
        self.assertEqual(record["devices"], [{"uuid": GPU0, "type": "NVIDIA", "memoryMiB": 3000, "cores": 0}])

    def test_kubelet_asking_one_container_at_a_time(self):
        self.start_plugin()
        hami_pod(self.api, "ns1", "pod2", f"{GPU0},NVIDIA,1000,30:;{GPU1},NVIDIA,2000,50:{GPU0},NVIDIA,2000,50:;",
                 [container("first"), container("second")])
        first = self.kubelet.allocate([[f"{GPU0}-3"]]).container_responses[0]
        self.assertEqual(first.envs["CUDA_DEVICE_SM_LIMIT"], "30")
        anno = self.annotations(self.api.pod("ns1", "pod2"))
        self.assertEqual(anno["hami.io/bind-phase"], "allocating")  # the second is still to come
        self.assertIn("hami.io/mutex.lock", self.annotations(self.api.node()))
        second = self.kubelet.allocate([[f"{GPU1}-0", f"{GPU0}-4"]]).container_responses[0]
        self.assertEqual(second.envs["NVIDIA_VISIBLE_DEVICES"], f"{GPU1},{GPU0}")
        self.assertEqual(second.envs["CUDA_DEVICE_MEMORY_LIMIT_0"], "2000m")
        self.assertEqual(second.envs["CUDA_DEVICE_MEMORY_LIMIT_1"], "2000m")
        self.assertEqual(second.envs["CUDA_DEVICE_SM_LIMIT"], "50")
        self.assertEqual(self.annotations(self.api.pod("ns1", "pod2"))["hami.io/bind-phase"], "success")
        self.assertNotIn("hami.io/mutex.lock", self.annotations(self.api.node()))

    def test_init_container_entries_keep_their_place(self):
        self.start_plugin()
        # An init container without devices: its entry is empty, the app's is second.
        hami_pod(self.api, "default", "pod3", f";{GPU1},NVIDIA,4096,0:;",
                 [container("app")], init_containers=[container("setup")])
        uid = self.api.pod("default", "pod3")["metadata"]["uid"]
        r = self.kubelet.allocate([[f"{GPU1}-9"]]).container_responses[0]
        self.assertTrue(r.envs["CUDA_DEVICE_MEMORY_SHARED_CACHE"].endswith(f"/{uid}_app.cache"))

    def test_a_mismatch_fails_the_pod_and_releases_the_lock(self):
        self.start_plugin()
        hami_pod(self.api, "default", "bad", f"{GPU0},NVIDIA,1000,0:;", [container("only")])
        with self.assertRaises(grpc.RpcError) as e:
            self.kubelet.allocate([[f"{GPU0}-0", f"{GPU0}-1"]])
        self.assertIn("the scheduler assigned 1 device(s) but kubelet asks for 2", e.exception.details())
        anno = self.annotations(self.api.pod("default", "bad"))
        self.assertEqual(anno["hami.io/bind-phase"], "failed")
        self.assertIn("kubelet asks for 2", anno["vslice.io/allocate-error"])
        self.assertNotIn("hami.io/mutex.lock", self.annotations(self.api.node()))

    def test_without_a_lock_owner_the_bound_pending_pod_is_found(self):
        self.start_plugin()
        hami_pod(self.api, "default", "legacy", f"{GPU0},NVIDIA,1500,0:;", [container("c")], lock=False)
        r = self.kubelet.allocate([[f"{GPU0}-2"]]).container_responses[0]
        self.assertEqual(r.envs["CUDA_DEVICE_MEMORY_LIMIT_0"], "1500m")

    def test_no_pod_being_bound_is_an_error_that_says_so(self):
        self.start_plugin()
        with self.assertRaises(grpc.RpcError) as e:
            self.kubelet.allocate([[f"{GPU0}-0"]])
        self.assertIn("no pod is being bound to node node-a", e.exception.details())

    def test_a_patch_conflict_is_retried(self):
        self.start_plugin()
        hami_pod(self.api, "default", "racy", f"{GPU0},NVIDIA,1000,0:;", [container("c")])
        self.api.request("POST", "/_test/inject", {"method": "PATCH", "path": "/api/v1/namespaces/default/pods/racy",
                                                   "status": 409, "reason": "Conflict", "count": 2})
        self.kubelet.allocate([[f"{GPU0}-0"]])
        self.assertEqual(self.annotations(self.api.pod("default", "racy"))["hami.io/bind-phase"], "success")

    def test_preferred_allocation_picks_shares_of_the_annotated_gpu(self):
        self.start_plugin()
        hami_pod(self.api, "default", "pref", f"{GPU1},NVIDIA,1000,0:;", [container("c")])
        available = [f"{GPU0}-{i}" for i in range(3)] + [f"{GPU1}-{i}" for i in range(3)]
        r = self.kubelet.preferred(available, [], 1)
        self.assertEqual(len(r.container_responses[0].deviceIDs), 1)
        self.assertTrue(r.container_responses[0].deviceIDs[0].startswith(GPU1 + "-"))


class HealthTest(PluginTest):
    def test_an_xid_turns_the_gpus_shares_unhealthy(self):
        plugin = self.start_plugin()
        self.kubelet.wait_list(lambda d: len(d) == 20 and all(x.health == "Healthy" for x in d))
        plugin.add_fault("0 xid 13")  # an application's fault: the GPU stays healthy
        plugin.add_fault("1 xid 48")  # double-bit ECC error
        devices = self.kubelet.wait_list(
            lambda d: any(x.health == "Unhealthy" for x in d), timeout=10)
        self.assertEqual(sorted(x.ID for x in devices if x.health == "Unhealthy"),
                         sorted(f"{GPU1}-{i}" for i in range(10)))
        self.assertTrue(all(x.health == "Healthy" for x in devices if x.ID.startswith(GPU0)))
        def gpu1_unhealthy():
            text = self.annotations(self.api.node()).get("hami.io/node-nvidia-register", "[]")
            entries = json.loads(text)
            return len(entries) == 2 and not entries[1].get("health", False) and text
        register = wait_for(gpu1_unhealthy, 10, "the register annotation to show GPU 1 unhealthy")
        entries = json.loads(register)
        self.assertEqual([e.get("health", False) for e in entries], [True, False])

    def test_a_lost_gpu_goes_unhealthy(self):
        plugin = self.start_plugin()
        self.kubelet.wait_list(lambda d: len(d) == 20)
        plugin.add_fault("0 lost")
        devices = self.kubelet.wait_list(lambda d: any(x.health == "Unhealthy" for x in d), timeout=10)
        self.assertEqual(sorted(x.ID for x in devices if x.health == "Unhealthy"),
                         sorted(f"{GPU0}-{i}" for i in range(10)))


class RestartTest(PluginTest):
    def test_kubelet_restart_registers_again_within_five_seconds(self):
        self.start_plugin()
        self.kubelet.wait_list(lambda d: len(d) == 20)
        started = time.monotonic()
        self.kubelet.restart()
        self.kubelet.wait_registrations(2, timeout=5)
        self.assertLess(time.monotonic() - started, 5)
        self.kubelet.wait_list(lambda d: len(d) == 20, timeout=5)
        # And it serves: an allocation after the restart works.
        hami_pod(self.api, "default", "after", f"{GPU0},NVIDIA,1000,0:;", [container("c")])
        self.kubelet.allocate([[f"{GPU0}-0"]])

    def test_plugin_restart_keeps_running_pods_records_and_regions(self):
        plugin = self.start_plugin()
        hami_pod(self.api, "default", "keep", f"{GPU0},NVIDIA,1000,0:;", [container("c")])
        uid = self.api.pod("default", "keep")["metadata"]["uid"]
        env = self.kubelet.allocate([[f"{GPU0}-0"]]).container_responses[0].envs
        folder = os.path.join(plugin.hook, "vgpu", "containers", f"{uid}_c")
        region = os.path.join(folder, os.path.basename(env["CUDA_DEVICE_MEMORY_SHARED_CACHE"]))
        with open(region, "wb") as f:  # stands for the region the container's processes made
            f.write(b"region")
        plugin.stop()
        plugin.start()
        self.kubelet.wait_registrations(2, timeout=10)
        time.sleep(0.5)
        with open(region, "rb") as f:
            self.assertEqual(f.read(), b"region")
        self.assertTrue(os.path.exists(os.path.join(folder, "allocation.json")))

    def test_deleted_pods_folders_are_removed(self):
        plugin = self.start_plugin(extra=["--cleanup-interval", "1"])
        hami_pod(self.api, "default", "gone", f"{GPU0},NVIDIA,1000,0:;", [container("c")])
        uid_gone = self.api.pod("default", "gone")["metadata"]["uid"]
        self.kubelet.allocate([[f"{GPU0}-0"]])
        hami_pod(self.api, "default", "stays", f"{GPU0},NVIDIA,1000,0:;", [container("c")])
        uid_stays = self.api.pod("default", "stays")["metadata"]["uid"]
        self.kubelet.allocate([[f"{GPU0}-1"]])
        containers = os.path.join(plugin.hook, "vgpu", "containers")
        self.assertTrue(os.path.isdir(os.path.join(containers, f"{uid_gone}_c")))
        self.api.delete("/api/v1/namespaces/default/pods/gone")
        wait_for(lambda: not os.path.exists(os.path.join(containers, f"{uid_gone}_c")), 5,
                 "the deleted pod's folder to be removed")
        self.assertTrue(os.path.isdir(os.path.join(containers, f"{uid_stays}_c")))


if __name__ == "__main__":
    unittest.main()
