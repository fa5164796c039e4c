"""Runs a "container" the way a container runtime would, from what the device
plugin answered kubelet: a process with exactly the returned environment
(plus the node's driver libraries, which the NVIDIA container toolkit would
inject, and the pod spec's own variables) and the returned mounts.

Two ways, the first that works here:
  - "namespace": a private mount namespace (unshare -m, as root) in which
    every returned mount is a bind mount at its container path, parents
    first, read-only where asked; /etc gets an overlay so that
    /etc/ld.so.preload can be mounted without touching the host's /etc.
    The preload file then loads the interceptor into every process, as in a
    container.
  - "rewrite": no namespace; container paths are rewritten to the host
    files they are mounted from, and LD_PRELOAD stands in for
    /etc/ld.so.preload.
"""

import os
import shlex
import subprocess


def namespaces_work():
    try:
        return subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                              capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


# VSLICE_K8S_CONTAINER_MODE=rewrite forces the second way (to test it).
MODE = os.environ.get("VSLICE_K8S_CONTAINER_MODE") or (
    "namespace" if os.geteuid() == 0 and namespaces_work() else "rewrite")


def _host_path(container_path, mounts):
    """The host file a container path refers to, through the deepest mount."""
    best = None
    for m in mounts:
        cp = m.container_path.rstrip("/")
        if container_path == cp or container_path.startswith(cp + "/"):
            if best is None or len(cp) > len(best.container_path.rstrip("/")):
                best = m
    if best is None:
        return container_path
    return best.host_path + container_path[len(best.container_path.rstrip("/")):]


def start(response, argv, node_env, pod_env, work, stdout=subprocess.PIPE):
    """Starts argv as a container given a ContainerAllocateResponse."""
    env = dict(node_env)
    env.update(pod_env)
    env.update(response.envs)
    mounts = sorted(response.mounts, key=lambda m: m.container_path.count("/"))
    if MODE == "rewrite":
        for key in ("CUDA_DEVICE_MEMORY_SHARED_CACHE", "VSLICE_REGION", "VSLICE_REGISTRY",
                    "NPU_GLOBAL_SHM_PATH"):
            if key in env:
                env[key] = _host_path(env[key], mounts)
        preload = [m for m in mounts if m.container_path == "/etc/ld.so.preload"]
        if preload:
            with open(preload[0].host_path) as f:
                env["LD_PRELOAD"] = " ".join(_host_path(p, mounts) for p in f.read().split())
        return subprocess.Popen(argv, env=env, stdout=stdout, stderr=subprocess.STDOUT, text=True)

    overlay = os.path.join(work, f"etc-overlay-{os.getpid()}-{len(os.listdir(work))}")
    os.makedirs(overlay)
    lines = ["set -e",
             f"mount -t tmpfs tmpfs {shlex.quote(overlay)}",
             f"mkdir {shlex.quote(overlay)}/u {shlex.quote(overlay)}/w",
             f"mount -t overlay overlay -o lowerdir=/etc,upperdir={shlex.quote(overlay)}/u,"
             f"workdir={shlex.quote(overlay)}/w /etc"]
    # ld.so.preload last: once it is in place every new process preloads
    # what it names, which must be mounted by then.
    ordered = sorted(mounts, key=lambda m: m.container_path == "/etc/ld.so.preload")
    # Every source is first bound to a staging point, since in this test the
    # host paths live under the container paths (a real container's paths
    # are in its own root file system).
    for i, m in enumerate(ordered):
        stage = shlex.quote(f"{overlay}/s{i}")
        lines.append(f"mkdir {stage}" if os.path.isdir(m.host_path) else f"touch {stage}")
        lines.append(f"mount --bind {shlex.quote(m.host_path)} {stage}")
    for i, m in enumerate(ordered):
        target, stage = shlex.quote(m.container_path), shlex.quote(f"{overlay}/s{i}")
        if os.path.isdir(m.host_path):
            lines.append(f"mkdir -p {target}")
        else:
            lines.append(f"mkdir -p $(dirname {target}); [ -e {target} ] || touch {target}")
        lines.append(f"mount --bind {stage} {target}")
        if m.read_only:
            lines.append(f"mount -o remount,bind,ro {target}")
    assignments = " ".join(shlex.quote(f"{k}={v}") for k, v in sorted(env.items()))
    lines.append(f"exec env -i {assignments} {' '.join(shlex.quote(a) for a in argv)}")
    return subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", "\n".join(lines)],
                            stdout=stdout, stderr=subprocess.STDOUT, text=True)
