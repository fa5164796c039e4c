"""deploy/scheduler/: every manifest parses, and the pieces fit together with
each other and with the code: kube-scheduler's extender configuration names
the verbs, port, CA and resources vslice-scheduler serves; the webhook
configuration reaches vslice-webhook's Service, path and port, speaks v1
and v1beta1 and skips what is labelled hami.io/webhook=ignore; RBAC covers
the API calls the scheduler makes; the certificates the install makes name
every Service; the image ships what the Deployments run."""

import glob
import os
import re
import subprocess
import tempfile
import unittest

import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DEPLOY = os.path.join(ROOT, "deploy", "scheduler")
NAMESPACE = "vslice-system"


def read(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return f.read()


def load_all():
    objects = []
    for path in sorted(glob.glob(os.path.join(DEPLOY, "*.yaml"))):
        with open(path) as f:
            objects += [doc for doc in yaml.safe_load_all(f) if doc is not None]
    return objects


def flag(command, name):
    for arg in command:
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
    raise AssertionError(f"--{name} not in {command}")


class SchedulerManifestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.objects = load_all()

    def find(self, kind, name):
        found = [o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == name]
        self.assertEqual(len(found), 1, f"{kind} {name}")
        return found[0]

    def container(self, deployment, name):
        spec = self.find("Deployment", deployment)["spec"]["template"]["spec"]
        return next(c for c in spec["containers"] if c["name"] == name), spec

    def scheduler_config(self):
        return yaml.safe_load(self.find("ConfigMap", "vslice-scheduler-config")["data"]["config.yaml"])

    def test_every_object_is_well_formed_and_namespaced(self):
        self.assertGreater(len(self.objects), 10)
        cluster_scoped = {"ClusterRole", "ClusterRoleBinding", "MutatingWebhookConfiguration"}
        for o in self.objects:
            self.assertIn("apiVersion", o)
            self.assertTrue(o["metadata"]["name"])
            if o["kind"] not in cluster_scoped:
                self.assertEqual(o["metadata"].get("namespace"), NAMESPACE, o["metadata"]["name"])
        # The node side (deploy/) creates the namespace.
        self.assertIn(f"name: {NAMESPACE}", read("deploy", "namespace.yaml"))

    def test_kube_scheduler_calls_the_extender_as_it_serves(self):
        config = self.scheduler_config()
        self.assertEqual(config["apiVersion"], "kubescheduler.config.k8s.io/v1")
        self.assertEqual(config["kind"], "KubeSchedulerConfiguration")
        (extender,) = config["extenders"]
        daemon = read("src", "scheduler", "scheduler_daemon.cc")
        for verb in ("filterVerb", "prioritizeVerb", "bindVerb"):
            self.assertIn(f'"/{extender[verb]}"', daemon, verb)
        ext, spec = self.container("vslice-scheduler", "vslice-scheduler")
        port = flag(ext["command"], "listen").rsplit(":", 1)[1]
        self.assertEqual(extender["urlPrefix"], f"https://127.0.0.1:{port}")
        self.assertTrue(extender["enableHTTPS"])
        self.assertTrue(extender["nodeCacheCapable"])
        self.assertFalse(extender["ignorable"])
        self.assertGreaterEqual(extender["weight"], 5)
        # The bind may wait for a node lock: the call must outlast that wait.
        timeout_s = int(extender["httpTimeout"].rstrip("s"))
        self.assertGreater(timeout_s * 1000, int(flag(ext["command"], "lock-wait-ms")) + 5000)
        # kube-scheduler trusts the CA that signed the extender's certificate.
        kube, _ = self.container("vslice-scheduler", "kube-scheduler")
        mounts = {m["name"]: m["mountPath"] for m in kube["volumeMounts"]}
        ca_dir = os.path.dirname(extender["tlsConfig"]["caFile"])
        self.assertEqual(mounts["tls"], ca_dir)
        self.assertEqual(os.path.dirname(flag(ext["command"], "tls-cert")),
                         {m["name"]: m["mountPath"] for m in ext["volumeMounts"]}["tls"])
        volumes = {v["name"]: v for v in spec["volumes"]}
        self.assertEqual(volumes["tls"]["secret"]["secretName"], "vslice-control-plane-tls")
        config_dir = os.path.dirname(flag(kube["command"], "config"))
        self.assertEqual(mounts["config"], config_dir)
        self.assertEqual(volumes["config"]["configMap"]["name"], "vslice-scheduler-config")
        # Every HAMi resource a pod may ask is the extender's, none is kube-scheduler's to count.
        names = read("src", "hami", "names.h")
        resources = set(re.findall(r'kResourceGpu\w* = "([^"]+)"', names))
        self.assertEqual({r["name"] for r in extender["managedResources"]}, resources)
        self.assertTrue(all(r["ignoredByScheduler"] for r in extender["managedResources"]))

    def test_one_scheduler_name_everywhere(self):
        (profile,) = self.scheduler_config()["profiles"]
        hook, _ = self.container("vslice-webhook", "vslice-webhook")
        self.assertEqual(profile["schedulerName"], flag(hook["command"], "scheduler-name"))
        self.assertEqual(self.scheduler_config()["leaderElection"]["resourceNamespace"], NAMESPACE)

    def test_the_api_server_reaches_the_webhook(self):
        (hook,) = self.find("MutatingWebhookConfiguration", "vslice-webhook")["webhooks"]
        self.assertEqual(set(hook["admissionReviewVersions"]), {"v1", "v1beta1"})
        self.assertEqual(hook["sideEffects"], "None")
        service_ref = hook["clientConfig"]["service"]
        self.assertEqual(service_ref["namespace"], NAMESPACE)
        self.assertIn(f'"{service_ref["path"]}"', read("src", "webhook", "main.cc"))
        service = self.find("Service", service_ref["name"])
        (port,) = [p for p in service["spec"]["ports"] if p["port"] == service_ref["port"]]
        container, _ = self.container("vslice-webhook", "vslice-webhook")
        self.assertEqual(str(port["targetPort"]), flag(container["command"], "listen").rsplit(":", 1)[1])
        pod_labels = self.find("Deployment", "vslice-webhook")["spec"]["template"]["metadata"]["labels"]
        self.assertTrue(set(service["spec"]["selector"].items()) <= set(pod_labels.items()))
        (rule,) = hook["rules"]
        self.assertEqual((rule["operations"], rule["resources"]), (["CREATE"], ["pods"]))
        ignore = {"key": "hami.io/webhook", "operator": "NotIn", "values": ["ignore"]}
        self.assertIn(ignore, hook["namespaceSelector"]["matchExpressions"])
        self.assertIn(ignore, hook["objectSelector"]["matchExpressions"])

    def test_rbac_covers_the_calls_the_scheduler_makes(self):
        rules = self.find("ClusterRole", "vslice-scheduler")["rules"]
        allowed = {(res, verb) for r in rules for res in r["resources"] for verb in r["verbs"]}
        needed = {("nodes", "list"), ("nodes", "watch"), ("nodes", "get"), ("nodes", "patch"),
                  ("pods", "list"), ("pods", "watch"), ("pods", "get"), ("pods", "patch"),
                  ("pods/binding", "create")}
        self.assertEqual(needed - allowed, set())
        api = read("src", "scheduler", "kube_client_api.cc") + read("src", "scheduler", "informer.cc")
        for call in ("NodePath", "PodPath", "PodBindingPath", "NodesPath", "PodsPath"):
            self.assertIn(call, api)
        self.assertEqual(self.find("Deployment", "vslice-scheduler")["spec"]["template"]["spec"]["serviceAccountName"],
                         "vslice-scheduler")
        bound = {b["roleRef"]["name"] for b in self.objects if b["kind"] == "ClusterRoleBinding"
                 and any(s["name"] == "vslice-scheduler" for s in b["subjects"])}
        self.assertEqual(bound, {"vslice-scheduler", "system:kube-scheduler", "system:volume-scheduler"})

    def test_install_makes_certificates_for_every_service(self):
        job = self.find("Job", "vslice-certs")["spec"]["template"]["spec"]
        command = job["containers"][0]["command"]
        self.assertIn("--apply", command)
        services = [a.split("=", 1)[1] for a in command if a.startswith("--service=")]
        self.assertEqual(set(services), {"vslice-scheduler", "vslice-webhook"})
        script = read("deploy", "scheduler", "make-certs.sh")
        self.assertIn("vslice-control-plane-tls", script)
        self.assertIn("mutatingwebhookconfiguration vslice-webhook", script)
        with tempfile.TemporaryDirectory() as out:
            args = [os.path.join(DEPLOY, "make-certs.sh"), "--out", out, "--namespace", NAMESPACE]
            for s in services:
                args += ["--service", s]
            subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
            text = subprocess.run(["openssl", "x509", "-in", os.path.join(out, "tls.crt"), "-noout", "-text"],
                                  check=True, capture_output=True, text=True).stdout
            for s in services:
                self.assertIn(f"DNS:{s}.{NAMESPACE}.svc", text)
            self.assertIn("DNS:localhost", text)  # kube-scheduler's tlsConfig.serverName
            subprocess.run(["openssl", "verify", "-CAfile", os.path.join(out, "ca.crt"), os.path.join(out, "tls.crt")],
                           check=True, capture_output=True)

    def test_the_image_ships_what_the_deployments_run(self):
        dockerfile = read("deploy", "scheduler", "Dockerfile")
        for o in self.objects:
            if o["kind"] not in ("Deployment", "Job"):
                continue
            for c in o["spec"]["template"]["spec"]["containers"]:
                if c["image"].startswith("vslice/"):
                    self.assertIn(f"/usr/bin/{os.path.basename(c['command'][0])}", dockerfile, c["name"])


if __name__ == "__main__":
    unittest.main()
