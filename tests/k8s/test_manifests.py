"""deploy/: every manifest parses, and the pieces fit together: kinds and
names, selectors matching labels, the Service and ServiceMonitor finding the
plugin's metrics port, the host folders the plugin hands to kubelet mounted
at the same paths, RBAC verbs covering the API calls the code makes, the
ConfigMap accepted by the plugin, and a Dockerfile that ships what the
DaemonSet runs."""

import glob
import json
import os
import re
import subprocess
import tempfile
import unittest

import yaml

from k8s_harness import BIN, SIM_LIB

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DEPLOY = os.path.join(ROOT, "deploy")


def load_all():
    objects = []
    for path in sorted(glob.glob(os.path.join(DEPLOY, "*.yaml"))):
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if doc is not None:
                    objects.append(doc)
    return objects


def subset(small, big):
    return all(big.get(k) == v for k, v in small.items())


class ManifestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.objects = load_all()
        cls.by_kind = {}
        for o in cls.objects:
            cls.by_kind.setdefault(o["kind"], []).append(o)

    def one(self, kind):
        self.assertEqual(len(self.by_kind.get(kind, [])), 1, f"expected one {kind}")
        return self.by_kind[kind][0]

    def test_every_object_is_well_formed_and_in_one_namespace(self):
        for o in self.objects:
            self.assertIn("apiVersion", o)
            self.assertTrue(o["metadata"]["name"])
        kinds = {o["kind"] for o in self.objects}
        self.assertTrue({"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap",
                         "DaemonSet", "Service", "ServiceMonitor"} <= kinds, kinds)
        namespace = self.one("Namespace")["metadata"]["name"]
        for o in self.objects:
            if o["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding"):
                self.assertEqual(o["metadata"].get("namespace"), namespace, o["metadata"]["name"])

    def test_selectors_match_labels(self):
        ds = self.one("DaemonSet")
        pod_labels = ds["spec"]["template"]["metadata"]["labels"]
        self.assertTrue(subset(ds["spec"]["selector"]["matchLabels"], pod_labels))
        svc = self.one("Service")
        self.assertTrue(subset(svc["spec"]["selector"], pod_labels))
        sm = self.one("ServiceMonitor")
        self.assertTrue(subset(sm["spec"]["selector"]["matchLabels"], svc["metadata"]["labels"]))
        self.assertIn(svc["metadata"]["namespace"], sm["spec"]["namespaceSelector"]["matchNames"])
        port_names = {p["name"] for p in svc["spec"]["ports"]}
        for endpoint in sm["spec"]["endpoints"]:
            self.assertIn(endpoint["port"], port_names)
        container = ds["spec"]["template"]["spec"]["containers"][0]
        container_ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        for p in svc["spec"]["ports"]:
            self.assertIn(p["targetPort"], container_ports)
        # The metrics flag listens on the port the Service targets.
        address = [a for a in container["args"] if a.startswith("--metrics-address=")][0]
        self.assertEqual(int(address.rsplit(":", 1)[1]), container_ports["metrics"])
        self.assertEqual(container["livenessProbe"]["httpGet"]["port"], "metrics")

    def test_service_account_and_binding(self):
        sa = self.one("ServiceAccount")
        ds = self.one("DaemonSet")
        self.assertEqual(ds["spec"]["template"]["spec"]["serviceAccountName"], sa["metadata"]["name"])
        binding = self.one("ClusterRoleBinding")
        self.assertEqual(binding["roleRef"]["name"], self.one("ClusterRole")["metadata"]["name"])
        self.assertIn({"kind": "ServiceAccount", "name": sa["metadata"]["name"],
                       "namespace": sa["metadata"]["namespace"]}, binding["subjects"])

    def test_rbac_covers_every_api_call_the_plugin_makes(self):
        # Verbs each client call needs (PatchWithRetry reads, then patches).
        verbs_of = {"Get": {"get"}, "List": {"list"}, "Watch": {"watch"}, "MergePatch": {"patch"},
                    "PatchWithRetry": {"get", "patch"}, "Post": {"create"}, "Delete": {"delete"}}
        needed = {}
        sources = glob.glob(os.path.join(ROOT, "src", "device_plugin", "*.cc"))
        calls = 0
        for path in sources:
            with open(path) as f:
                text = f.read()
            for method, kind in re.findall(r"api_\.(\w+)\(\s*kube::(Node|Pod)s?Path", text):
                calls += 1
                needed.setdefault(kind.lower() + "s", set()).update(verbs_of[method])
        self.assertGreaterEqual(calls, 5, "the scan found too few API calls: has the code changed shape?")
        granted = {}
        for rule in self.one("ClusterRole")["rules"]:
            for resource in rule["resources"]:
                granted.setdefault(resource, set()).update(rule["verbs"])
        for resource, verbs in needed.items():
            self.assertTrue(verbs <= granted.get(resource, set()),
                            f"{resource}: the code needs {sorted(verbs)}, RBAC grants {sorted(granted.get(resource, []))}")

    def test_host_folders_are_mounted_where_the_plugin_says_they_are(self):
        spec = self.one("DaemonSet")["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in spec["volumes"]}
        container = spec["containers"][0]
        args = dict(a[2:].split("=", 1) for a in container["args"])
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        expected = [args["plugin-dir"], args["hook-path"] + "/vgpu", args["registry-dir"]]
        for path in expected:
            self.assertIn(path, mounts, f"the plugin uses {path} but it is not mounted")
            host = volumes[mounts[path]].get("hostPath", {}).get("path")
            # Paths the plugin gives kubelet are host paths: same inside and out.
            self.assertEqual(host, path)
        config_dir = os.path.dirname(args["config-file"])
        self.assertEqual(volumes[mounts[config_dir]]["configMap"]["name"], self.one("ConfigMap")["metadata"]["name"])
        env = {e["name"]: e for e in container["env"]}
        self.assertEqual(env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"], "spec.nodeName")
        # The installer writes what the plugin's mounts point at.
        install = " ".join(spec["initContainers"][0]["command"])
        for name in ("libvslice.so", "vslice-limiter", "ld.so.preload"):
            self.assertIn(f"/usr/local/vgpu/{name}", install)
        self.assertIn("echo /usr/local/vgpu/libvgpu.so", install)

    def test_the_plugin_accepts_the_configmap(self):
        config = self.one("ConfigMap")["data"]["config.json"]
        json.loads(config)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "config.json")
            with open(path, "w") as f:
                f.write(config)
            env = dict(os.environ, LD_LIBRARY_PATH=SIM_LIB, VSLICE_SIM_STATE=os.path.join(d, "state"))
            r = subprocess.run([os.path.join(BIN, "vslice-device-plugin"), "--config-file", path,
                                "--node-name", "n", "--kubeconfig", os.path.join(d, "missing")],
                               env=env, capture_output=True, text=True, timeout=20)
            # It got past its configuration and NVML, and stopped at the API server.
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("kubeconfig " + os.path.join(d, "missing"), r.stderr)

    def test_dockerfile_ships_what_the_daemonset_runs(self):
        with open(os.path.join(DEPLOY, "Dockerfile")) as f:
            dockerfile = f.read()
        spec = self.one("DaemonSet")["spec"]["template"]["spec"]
        self.assertIn(f"COPY --from=build /build/bin/vslice-device-plugin {spec['containers'][0]['command'][0]}", dockerfile)
        for name in ("libvslice.so", "vslice-limiter"):
            self.assertRegex(dockerfile, rf"COPY --from=build \S+/{re.escape(name)} /opt/vslice/{re.escape(name)}")
        images = {c["image"] for c in spec["containers"] + spec["initContainers"]}
        self.assertEqual(len(images), 1)


if __name__ == "__main__":
    unittest.main()
