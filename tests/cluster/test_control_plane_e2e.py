"""End to end through vslice's control plane, on the simulated GPU: a pod that
asks only GPU memory, cores and a priority goes through vslice-webhook (an
AdmissionReview over TLS), is created in the API-server stand-in, filtered,
prioritized and bound by vslice-scheduler (over TLS, its view fed by LIST and
WATCH), then kubelet's stand-in calls Allocate on vslice-device-plugin, which
finds the pod through the node lock the scheduler took; a process started
with exactly the returned environment and mounts sees its quota as the GPU's
memory and is refused beyond it. Uses the stand-ins and harness of tests/k8s
(written independently of the daemons)."""

import base64
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "k8s"))

import jsonpatch  # noqa: E402  (Debian: python3-jsonpatch)

import container_runner  # noqa: E402
from fake_kubelet import FakeKubelet  # noqa: E402
from k8s_harness import (ApiServer, BIN, NODE, SIM_LIB, Plugin, kill_processes_of, make_workdir,  # noqa: E402
                         sim_uuid, wait_for)

DEPLOY = os.path.join(HERE, "..", "..", "deploy")
GPU0 = sim_uuid(0)
MIB = 1 << 20


class Daemon:
    """A control-plane daemon; its log names the port it serves on."""

    def __init__(self, work, name, args):
        self.log_path = os.path.join(work, name + ".log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([os.path.join(BIN, name), "--listen", "127.0.0.1:0", *args],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        m = wait_for(lambda: re.search(r"serving on 127\.0\.0\.1:(\d+)", self.read_log()), 10, f"{name} to listen")
        self.port = int(m.group(1))

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class ControlPlaneEndToEndTest(unittest.TestCase):
    def setUp(self):
        self.work = make_workdir()
        self.addCleanup(shutil.rmtree, self.work, True)
        certs = os.path.join(self.work, "certs")
        subprocess.run([os.path.join(DEPLOY, "scheduler", "make-certs.sh"), "--out", certs], check=True,
                       stdout=subprocess.DEVNULL)
        self.tls = ssl.create_default_context(cafile=os.path.join(certs, "ca.crt"))
        self.api = ApiServer()
        self.addCleanup(self.api.stop)
        self.api.create("/api/v1/nodes", {"metadata": {"name": NODE}})
        self.kubelet = FakeKubelet(os.path.join(self.work, "device-plugins"))
        self.addCleanup(self.kubelet.stop)
        self.plugin = Plugin(self.work, self.api, devices=1, memory="16g")
        self.addCleanup(self.plugin.stop)
        self.kubelet.wait_registrations(1)
        tls_args = ["--tls-cert", os.path.join(certs, "tls.crt"), "--tls-key", os.path.join(certs, "tls.key")]
        self.webhook = Daemon(self.work, "vslice-webhook", tls_args)
        self.addCleanup(self.webhook.stop)
        self.scheduler = Daemon(self.work, "vslice-scheduler",
                                [*tls_args, "--kubeconfig", self.api.kubeconfig(self.work)])
        self.addCleanup(self.scheduler.stop)
        self.addCleanup(self.kill_leftovers)

    def kill_leftovers(self):
        kill_processes_of(self.work)

    def post(self, daemon, path, body):
        req = urllib.request.Request(f"https://localhost:{daemon.port}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=30, context=self.tls) as r:
            self.assertEqual(r.status, 200)
            return json.loads(r.read())

    def ready(self):
        try:
            with urllib.request.urlopen(f"https://localhost:{self.scheduler.port}/readyz", timeout=5,
                                        context=self.tls) as r:
                return r.status == 200
        except OSError:
            return False

    def test_webhook_filter_bind_allocate_and_run_under_the_quota(self):
        # The node agent registered the simulated GPU on the node.
        wait_for(lambda: "hami.io/node-nvidia-register" in self.api.node()["metadata"].get("annotations", {}),
                 15, "the plugin's register annotation")
        wait_for(self.ready, 15, "vslice-scheduler's first LIST")

        # 1. Admission: only memory, cores and a priority are asked.
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "infer", "namespace": "team"},
               "spec": {"containers": [{"name": "main", "image": "app", "resources": {"limits": {
                   "nvidia.com/gpumem": "2000", "nvidia.com/gpucores": "30", "nvidia.com/priority": "0"}}}]}}
        review = self.post(self.webhook, "/mutate", {
            "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "r-1", "namespace": "team", "operation": "CREATE", "object": pod}})
        self.assertTrue(review["response"]["allowed"], review)
        patch = json.loads(base64.b64decode(review["response"]["patch"]))
        pod = jsonpatch.apply_patch(pod, patch)
        self.assertEqual(pod["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"], "1")
        self.assertEqual(pod["spec"]["schedulerName"], "vslice-scheduler")
        self.assertIn({"name": "CUDA_TASK_PRIORITY", "value": "0"}, pod["spec"]["containers"][0]["env"])
        pod = self.api.create("/api/v1/namespaces/team/pods", pod)

        # 2. kube-scheduler's calls: filter, prioritize, bind.
        wait_for(lambda: self.post(self.scheduler, "/filter",
                                   {"Pod": pod, "Nodes": None, "NodeNames": [NODE, "node-gone"]})["NodeNames"] == [NODE],
                 10, "filter to keep the node once the pod is watched")
        scores = self.post(self.scheduler, "/prioritize", {"Pod": pod, "Nodes": None, "NodeNames": [NODE]})
        self.assertEqual(scores, [{"Host": NODE, "Score": 10}])
        bound = self.post(self.scheduler, "/bind", {"PodName": "infer", "PodNamespace": "team",
                                                    "PodUID": pod["metadata"]["uid"], "Node": NODE})
        self.assertEqual(bound, {"Error": ""})
        stored = self.api.pod("team", "infer")
        self.assertEqual(stored["spec"]["nodeName"], NODE)
        self.assertEqual(stored["metadata"]["annotations"]["hami.io/vgpu-devices-to-allocate"], f"{GPU0},NVIDIA,2000,30:;")

        # 3. kubelet admits the pod and calls Allocate with one share of GPU 0;
        # the plugin finds the pod through the scheduler's node lock.
        (response,) = self.kubelet.allocate([[f"{GPU0}-0"]]).container_responses
        self.assertEqual(response.envs["CUDA_DEVICE_MEMORY_LIMIT_0"], "2000m")
        self.assertEqual(response.envs["CUDA_DEVICE_SM_LIMIT"], "30")
        wait_for(lambda: self.api.pod("team", "infer")["metadata"]["annotations"].get("hami.io/bind-phase") == "success",
                 10, "bind-phase=success")
        self.assertNotIn("hami.io/mutex.lock", self.api.node()["metadata"].get("annotations", {}))

        # 4. The container: its quota is the GPU it sees, and a hard limit.
        node_env = {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": SIM_LIB, "VSLICE_SIM_STATE": self.plugin.state,
                    "VSLICE_SIM_DEVICES": "1", "VSLICE_SIM_MEMORY": "16g"}
        pod_env = {"VSLICE_CONTEXT_RESERVE": "0", "CUDA_TASK_PRIORITY": "0"}
        proc = container_runner.start(response, [os.path.join(BIN, "vslice_probe"), "nvml", "info", "fill:256m"],
                                      node_env, pod_env, self.work)
        out, _ = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, out)
        self.assertRegex(out, rf"nvml total={2000 * MIB} used=0 free={2000 * MIB}")
        self.assertRegex(out, rf"info free={2000 * MIB} total={2000 * MIB}")
        m = re.search(r"fill (\d+) blocks (\d+) bytes -> (\w+)", out)
        self.assertEqual(m.group(1), "7", out)  # 7 x 256 MiB fit in 2000 MiB
        self.assertEqual(m.group(3), "2", out)  # then CUDA_ERROR_OUT_OF_MEMORY

        # 5. The share is taken: a second pod of 15000 MiB no longer fits.
        big = dict(pod, metadata={"name": "big", "namespace": "team", "uid": "u-big"})
        big["spec"] = json.loads(json.dumps(pod["spec"]))
        big["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpumem"] = "15000"
        refused = self.post(self.scheduler, "/filter", {"Pod": big, "Nodes": None, "NodeNames": [NODE]})
        self.assertEqual(refused["NodeNames"], [])
        self.assertIn("too little free memory", refused["FailedNodes"][NODE])


if __name__ == "__main__":
    unittest.main()
