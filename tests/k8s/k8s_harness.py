"""What the k8s tests share: the API-server stand-in as a process, the plugin
as a process on the simulated GPU, and pods annotated as HAMi's scheduler
annotates them. The build folder comes from VSLICE_BUILD_DIR (ctest sets it).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("VSLICE_BUILD_DIR", os.path.join(HERE, "..", "..", "build"))
BIN = os.path.join(BUILD, "bin")
SIM_LIB = os.path.join(BUILD, "sim-lib")
LIB = os.path.join(BUILD, "lib")
NODE = "node-a"

# Exactly what HAMi's scheduler writes when it binds a pod (pkg/scheduler and
# pkg/util/nodelock in HAMi; docs/develop/protocol.md): the devices per
# container, the node, the times, the bind phase, and the node lock.
LOCK_TIME = "2024-01-23T04:30:04Z"


def _die_with_parent():
    """In a child before exec: be terminated when the test process dies, even
    by SIGKILL (prctl PR_SET_PDEATHSIG), so no stand-in outlives its test."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


class ApiServer:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "fake_apiserver.py")],
                                     stdout=subprocess.PIPE, text=True, preexec_fn=_die_with_parent)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening "):
            raise RuntimeError(f"the API-server stand-in did not start: {line!r}")
        self.url = line.split(" ", 1)[1]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()

    def request(self, method, path, body=None, content_type="application/json"):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def get(self, path):
        status, body = self.request("GET", path)
        assert status == 200, f"GET {path}: {status} {body}"
        return body

    def create(self, path, obj):
        status, body = self.request("POST", path, obj)
        assert status == 201, f"POST {path}: {status} {body}"
        return body

    def patch(self, path, patch):
        status, body = self.request("PATCH", path, patch, "application/merge-patch+json")
        assert status == 200, f"PATCH {path}: {status} {body}"
        return body

    def delete(self, path):
        return self.request("DELETE", path)

    def node(self):
        return self.get(f"/api/v1/nodes/{NODE}")

    def pod(self, ns, name):
        return self.get(f"/api/v1/namespaces/{ns}/pods/{name}")

    def kubeconfig(self, folder):
        path = os.path.join(folder, "kubeconfig")
        with open(path, "w") as f:
            f.write(f"""apiVersion: v1
kind: Config
current-context: test
clusters: [{{name: stand-in, cluster: {{server: "{self.url}"}}}}]
contexts: [{{name: test, context: {{cluster: stand-in}}}}]
""")
        return path


def container(name, limits=None, env=None):
    c = {"name": name, "image": "app", "resources": {"limits": limits or {}}}
    if env:
        c["env"] = [{"name": k, "value": v} for k, v in env.items()]
    return c


def hami_pod(api, ns, name, devices_annotation, containers, lock=True, init_containers=None):
    """A pod as HAMi's scheduler leaves it after Bind: annotations, spec.nodeName
    and the node lock (hami.io/mutex.lock = "<RFC 3339>,<ns>,<name>")."""
    pod = {
        "metadata": {
            "name": name,
            "namespace": ns,
            "annotations": {
                "hami.io/vgpu-node": NODE,
                "hami.io/vgpu-time": "1705054796",
                "hami.io/bind-time": "1705054796",
                "hami.io/bind-phase": "allocating",
                "hami.io/vgpu-devices-to-allocate": devices_annotation,
                "hami.io/vgpu-devices-allocated": devices_annotation,
            },
        },
        "spec": {"nodeName": NODE, "containers": containers,
                 "initContainers": init_containers or []},
    }
    created = api.create(f"/api/v1/namespaces/{ns}/pods", pod)
    if lock:
        api.patch(f"/api/v1/nodes/{NODE}",
                  {"metadata": {"annotations": {"hami.io/mutex.lock": f"{LOCK_TIME},{ns},{name}"}}})
    return created


class Plugin:
    """vslice-device-plugin on the simulated GPU(s)."""

    def __init__(self, work, api, devices=2, memory="16g", extra=(), env=None):
        self.work = work
        self.plugin_dir = os.path.join(work, "device-plugins")
        self.hook = os.path.join(work, "hook")
        self.registry = os.path.join(work, "vgpulock")
        self.faults = os.path.join(work, "faults")
        self.state = os.path.join(work, "sim.state")
        self.log_path = os.path.join(work, "plugin.log")
        os.makedirs(self.plugin_dir, exist_ok=True)
        install_hook(self.hook)
        self.env = dict(os.environ)
        self.env.update({
            "LD_LIBRARY_PATH": SIM_LIB,
            "VSLICE_SIM_STATE": self.state,
            "VSLICE_SIM_DEVICES": str(devices),
            "VSLICE_SIM_MEMORY": memory,
            "VSLICE_SIM_FAULTS": self.faults,
            "NODE_NAME": NODE,
        })
        self.env.update(env or {})
        self.args = [os.path.join(BIN, "vslice-device-plugin"),
                     "--kubeconfig", api.kubeconfig(work),
                     "--plugin-dir", self.plugin_dir, "--hook-path", self.hook,
                     "--registry-dir", self.registry, "--metrics-address", "127.0.0.1:0",
                     "--health-interval", "1", *extra]
        self.proc = None
        self.start()

    def start(self):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(self.args, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=_die_with_parent)

    def stop(self):
        if self.log.closed:
            return
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def metrics_port(self):
        m = wait_for(lambda: re.search(r"metrics on \S+ \(port (\d+)\)", self.read_log()), 10,
                     "the plugin's metrics port in its log")
        return int(m.group(1))

    def add_fault(self, line):
        with open(self.faults, "a") as f:
            f.write(line + "\n")


def install_hook(hook):
    """What the DaemonSet's installer puts on the host: the interceptor under
    HAMi's name next to its own, the limiter, and ld.so.preload."""
    vgpu = os.path.join(hook, "vgpu")
    os.makedirs(os.path.join(vgpu, "containers"), exist_ok=True)
    shutil.copy(os.path.join(LIB, "libvslice.so"), os.path.join(vgpu, "libvslice.so"))
    if os.path.exists(os.path.join(LIB, "libvslice_ascend.so")):
        shutil.copy(os.path.join(LIB, "libvslice_ascend.so"), os.path.join(vgpu, "libvslice_ascend.so"))
    shutil.copy(os.path.join(BIN, "vslice-limiter"), os.path.join(vgpu, "vslice-limiter"))
    with open(os.path.join(vgpu, "ld.so.preload"), "w") as f:
        f.write(os.path.join(vgpu, "libvgpu.so") + "\n")


def sim_uuid(index):
    """The simulated GPU's UUID (docs/SIMULATOR.md): "vsliceSIMdev" + index."""
    raw = b"vsliceSIMdev" + index.to_bytes(4, "big")
    h = raw.hex()
    return f"GPU-{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def kill_processes_of(work):
    """Kills every process with `work` (a test's folder) in its command line:
    limiters the interceptor started for the pods outlive their pods by a few
    seconds, and only processes naming this test's folder are ours."""
    for pid in subprocess.run(["pgrep", "-f", work], capture_output=True, text=True).stdout.split():
        try:
            os.kill(int(pid), 9)
        except (ProcessLookupError, ValueError):
            pass


def make_workdir():
    return tempfile.mkdtemp(prefix="vslice-k8s-")


def set_up_node(test):
    """For a unittest.TestCase's setUp: a work folder, the API-server
    stand-in with this node, and the kubelet stand-in, each removed by the
    test's cleanups even when a later step fails."""
    from fake_kubelet import FakeKubelet  # generates the protocol code on first use
    test.work = make_workdir()
    test.addCleanup(shutil.rmtree, test.work, True)
    test.api = ApiServer()
    test.addCleanup(test.api.stop)
    test.api.create("/api/v1/nodes", {"metadata": {"name": NODE}})
    test.kubelet = FakeKubelet(os.path.join(test.work, "device-plugins"))
    test.addCleanup(test.kubelet.stop)


def start_plugin(test, **kw):
    """Starts the plugin for a test set up by set_up_node."""
    test.plugin = Plugin(test.work, test.api, **kw)
    test.addCleanup(test.plugin.stop)
    return test.plugin
