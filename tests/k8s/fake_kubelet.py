"""A stand-in for kubelet's device manager, for tests without a cluster.

It speaks kubelet's device plugin API v1beta1 over unix sockets, with Python
code generated at test time from the same .proto the plugin is built from
(src/device_plugin/proto/deviceplugin_v1beta1.proto), and behaves as kubelet
does where a plugin can tell:

  - serves Registration on <dir>/kubelet.sock; on Register it checks the
    version, dials the plugin's endpoint in the same folder, asks for its
    options and opens ListAndWatch, keeping every list it is sent;
  - allocate() / preferred() call the plugin as kubelet does at pod
    admission (one AllocateRequest, one ContainerAllocateRequest per
    container that asks for the resource);
  - restart() does what a restarting kubelet does: stops, removes every
    socket in the folder (the plugins' too), and serves a new kubelet.sock.
"""

import glob
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent import futures

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "..", "..", "src", "device_plugin", "proto")
PROTO = "deviceplugin_v1beta1.proto"


def load_protocol():
    """Generates and imports the v1beta1 Python modules (pb2, pb2_grpc)."""
    out = tempfile.mkdtemp(prefix="vslice-v1beta1-")
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I" + PROTO_DIR,
                    "--python_out=" + out, "--grpc_python_out=" + out, PROTO], check=True)
    sys.path.insert(0, out)
    import deviceplugin_v1beta1_pb2 as pb2  # noqa: E402
    import deviceplugin_v1beta1_pb2_grpc as pb2_grpc  # noqa: E402
    return pb2, pb2_grpc


pb2, pb2_grpc = load_protocol()


class Registration(pb2_grpc.RegistrationServicer):
    def __init__(self, kubelet):
        self.kubelet = kubelet

    def Register(self, request, context):
        if request.version != "v1beta1":
            context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                          f"unsupported API version {request.version!r}")
        self.kubelet._on_register(request)
        return pb2.Empty()


class FakeKubelet:
    def __init__(self, plugin_dir):
        self.dir = plugin_dir
        os.makedirs(plugin_dir, exist_ok=True)
        self.lock = threading.Condition()
        self.registrations = []  # RegisterRequest, in order
        self.lists = []          # (time, [Device]) per ListAndWatch message
        self.options = None
        self.server = None
        self.channel = None
        self.stub = None
        self.generation = 0
        self.start()

    @property
    def socket(self):
        return os.path.join(self.dir, "kubelet.sock")

    def start(self):
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        pb2_grpc.add_RegistrationServicer_to_server(Registration(self), self.server)
        self.server.add_insecure_port("unix://" + self.socket)
        self.server.start()

    def stop(self):
        with self.lock:
            self.generation += 1
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.server is not None:
            self.server.stop(grace=None).wait()
            self.server = None

    def restart(self):
        """As kubelet restarting: every socket in the folder goes, a new kubelet.sock comes."""
        self.stop()
        for path in glob.glob(os.path.join(self.dir, "*.sock")):
            os.unlink(path)
        self.start()

    # --- the plugin side, after it registered
    def _on_register(self, request):
        with self.lock:
            self.registrations.append(request)
            self.generation += 1
            generation = self.generation
        channel = grpc.insecure_channel("unix://" + os.path.join(self.dir, request.endpoint))
        stub = pb2_grpc.DevicePluginStub(channel)
        options = stub.GetDevicePluginOptions(pb2.Empty(), timeout=5)
        with self.lock:
            self.channel, self.stub, self.options = channel, stub, options
        threading.Thread(target=self._watch, args=(stub, generation), daemon=True).start()

    def _watch(self, stub, generation):
        try:
            for response in stub.ListAndWatch(pb2.Empty()):
                with self.lock:
                    if generation != self.generation:
                        return
                    self.lists.append((time.monotonic(), list(response.devices)))
                    self.lock.notify_all()
        except grpc.RpcError:
            pass

    def wait_registrations(self, count, timeout=10):
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.registrations) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the plugin registered {len(self.registrations)} time(s), "
                                         f"expected {count}, within {timeout} s")
                self.lock.wait(left)
            return self.registrations[count - 1]

    def wait_list(self, predicate, timeout=10):
        """The first ListAndWatch list (newest first) for which predicate holds."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for _, devices in reversed(self.lists):
                    if predicate(devices):
                        return devices
                left = deadline - time.monotonic()
                if left <= 0:
                    last = self.lists[-1][1] if self.lists else None
                    raise AssertionError(f"no device list as expected within {timeout} s; last: {last}")
                self.lock.wait(left)

    def allocate(self, containers):
        """containers: one list of device IDs per container."""
        request = pb2.AllocateRequest(container_requests=[
            pb2.ContainerAllocateRequest(devices_ids=ids) for ids in containers])
        with self.lock:
            stub = self.stub
        return stub.Allocate(request, timeout=10)

    def preferred(self, available, must_include, size):
        request = pb2.PreferredAllocationRequest(container_requests=[
            pb2.ContainerPreferredAllocationRequest(available_deviceIDs=available,
                                                    must_include_deviceIDs=must_include,
                                                    allocation_size=size)])
        with self.lock:
            stub = self.stub
        return stub.GetPreferredAllocation(request, timeout=10)
