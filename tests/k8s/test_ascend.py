"""The same plugin as an Ascend agent (--vendor ascend) on the simulated
Ascend runtime (DCMI): HAMi's Ascend resource and annotation names
(huawei.com/Ascend910B2, hami.io/node-register-Ascend910B2,
hami.io/Ascend910B2-devices-to-allocate), and an Allocate answered with the
HAMi-vnpu-core environment vslice's Ascend interceptor reads."""

import json
import os
import unittest

from k8s_harness import BUILD, NODE, container, set_up_node, start_plugin, wait_for

ASCEND_LIB = os.path.join(BUILD, "sim-ascend-lib")


class AscendTest(unittest.TestCase):
    def setUp(self):
        set_up_node(self)
        start_plugin(self, extra=["--vendor", "ascend", "--split-count", "4"],
                     env={"LD_LIBRARY_PATH": ASCEND_LIB, "VSLICE_SIM_NPU_DEVICES": "2",
                          "VSLICE_SIM_NPU_MEMORY": "64g", "VSLICE_SIM_NPU_CHIP": "910B2"})

    def test_registers_allocates_under_hamis_ascend_names(self):
        reg = self.kubelet.wait_registrations(1)
        self.assertEqual(reg.resource_name, "huawei.com/Ascend910B2")
        self.assertEqual(reg.endpoint, "vslice-Ascend910B2.sock")
        devices = self.kubelet.wait_list(lambda d: len(d) == 8)
        self.assertTrue(all(d.health == "Healthy" for d in devices))

        annotations = wait_for(lambda: self.api.node()["metadata"].get("annotations", {})
                               .get("hami.io/node-register-Ascend910B2"), 10, "the Ascend register annotation")
        registered = json.loads(annotations)
        self.assertEqual([(d.get("index", 0), d["count"], d["devmem"], d["type"]) for d in registered],
                         [(0, 4, 65536, "Ascend910B2"), (1, 4, 65536, "Ascend910B2")])
        self.assertIn("hami.io/node-handshake-Ascend910B2", self.api.node()["metadata"]["annotations"])
        npu1 = registered[1]["id"]

        pod = {"metadata": {"name": "npu-pod", "namespace": "ai", "annotations": {
            "hami.io/vgpu-node": NODE, "hami.io/bind-time": "1705054796", "hami.io/bind-phase": "allocating",
            "hami.io/Ascend910B2-devices-to-allocate": f"{npu1},Ascend910B2,16384,40:;"}},
            "spec": {"nodeName": NODE, "containers": [container("infer", {"huawei.com/Ascend910B2": "1"})]}}
        self.api.create("/api/v1/namespaces/ai/pods", pod)
        self.api.patch(f"/api/v1/nodes/{NODE}",
                       {"metadata": {"annotations": {"hami.io/mutex.lock": "2024-01-23T04:30:04Z,ai,npu-pod"}}})
        uid = self.api.pod("ai", "npu-pod")["metadata"]["uid"]
        r = self.kubelet.allocate([[f"{npu1}-0"]]).container_responses[0]
        vgpu = os.path.join(self.plugin.hook, "vgpu")
        self.assertEqual(r.envs["ASCEND_VISIBLE_DEVICES"], "1")
        self.assertEqual(r.envs["NPU_MEM_QUOTA"], "16384")
        self.assertEqual(r.envs["NPU_PRIORITY"], "40")
        self.assertEqual(r.envs["NPU_GLOBAL_SHM_PATH"], f"{self.plugin.registry}/vslice.registry")
        self.assertEqual(r.envs["VSLICE_REGION"], f"{vgpu}/{uid}_infer.cache")
        self.assertIn((f"{vgpu}/libvslice_ascend.so", f"{vgpu}/libvslice_ascend.so", True),
                      [(m.container_path, m.host_path, m.read_only) for m in r.mounts])
        anno = self.api.pod("ai", "npu-pod")["metadata"]["annotations"]
        self.assertEqual(anno["hami.io/bind-phase"], "success")
        self.assertNotIn("hami.io/mutex.lock", self.api.node()["metadata"]["annotations"])


if __name__ == "__main__":
    unittest.main()
