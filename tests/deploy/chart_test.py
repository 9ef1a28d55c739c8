"""Lints the Helm chart and checks what it renders.

Run by ctest with HELM (the helm binary) and FEEDBACKD (the server binary)
in the environment.
"""
import os
import re
import subprocess
import unittest

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHART = os.path.join(ROOT, "helm", "feedback")
ALL_ON = os.path.join(CHART, "ci", "all-on-values.yaml")
HELM = os.environ.get("HELM", os.path.join(ROOT, ".local", "bin", "helm"))
FEEDBACKD = os.environ.get("FEEDBACKD", "")


def helm(*args):
    return subprocess.run([HELM, *args], capture_output=True, text=True)


def render(*values_args):
    out = helm("template", "rel", CHART, *values_args)
    if out.returncode != 0:
        raise AssertionError(out.stderr)
    docs = [d for d in yaml.safe_load_all(out.stdout) if d]
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def one(manifests, kind):
    found = [d for (k, _), d in manifests.items() if k == kind]
    assert len(found) == 1, f"{kind}: {len(found)} rendered"
    return found[0]


class ChartTest(unittest.TestCase):
    def test_lint_strict(self):
        for args in ([], ["-f", ALL_ON]):
            out = helm("lint", "--strict", CHART, *args)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_defaults(self):
        m = render()
        kinds = {k for k, _ in m}
        self.assertTrue({"Deployment", "Service", "ConfigMap", "Job", "PodDisruptionBudget",
                         "ServiceAccount"} <= kinds, kinds)
        self.assertNotIn("HorizontalPodAutoscaler", kinds)
        self.assertNotIn("NetworkPolicy", kinds)
        dep = one(m, "Deployment")
        pod = dep["spec"]["template"]["spec"]
        c = pod["containers"][0]
        # gRPC probes on the main port (plaintext by explicit choice).
        self.assertEqual(c["readinessProbe"]["grpc"]["port"], 50051)
        self.assertEqual(c["livenessProbe"]["grpc"]["port"], 50051)
        self.assertNotIn("service", c["readinessProbe"]["grpc"])  # overall status
        self.assertEqual(one(m, "ConfigMap")["data"]["FEEDBACK_INSECURE"], "true")
        # Security context.
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        self.assertEqual(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault")
        sc = c["securityContext"]
        self.assertTrue(sc["readOnlyRootFilesystem"])
        self.assertFalse(sc["allowPrivilegeEscalation"])
        self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
        # Drain: preStop pause and a grace period above drain + pause.
        self.assertEqual(c["lifecycle"]["preStop"]["exec"]["command"], ["sleep", "5"])
        self.assertGreater(pod["terminationGracePeriodSeconds"], 20 + 5)
        self.assertEqual(dep["spec"]["replicas"], 2)
        self.assertEqual(len(pod["topologySpreadConstraints"]), 2)
        # Database URL only from the Secret.
        env = {e["name"]: e for e in c["env"]}
        ref = env["FEEDBACK_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        self.assertEqual((ref["name"], ref["key"]), ("feedback-database", "url"))
        self.assertNotIn("value", env["FEEDBACK_DATABASE_URL"])
        # Service: ClusterIP, port named grpc, appProtocol grpc.
        svc = m[("Service", "rel-feedback")]
        self.assertEqual(svc["spec"]["type"], "ClusterIP")
        port = svc["spec"]["ports"][0]
        self.assertEqual((port["name"], port["appProtocol"]), ("grpc", "grpc"))
        # Migrations: a pre-install/pre-upgrade hook running `feedbackd migrate`.
        job = one(m, "Job")
        ann = job["metadata"]["annotations"]
        self.assertEqual(ann["helm.sh/hook"], "pre-install,pre-upgrade")
        self.assertIn("before-hook-creation", ann["helm.sh/hook-delete-policy"])
        jc = job["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(jc["args"], ["migrate"])
        self.assertIn("secretKeyRef", jc["env"][0]["valueFrom"])
        self.assertEqual(one(m, "PodDisruptionBudget")["spec"]["minAvailable"], 1)

    def test_everything_on(self):
        m = render("-f", ALL_ON)
        dep = one(m, "Deployment")
        pod = dep["spec"]["template"]["spec"]
        c = pod["containers"][0]
        self.assertNotIn("replicas", dep["spec"])  # the HPA decides
        hpa = one(m, "HorizontalPodAutoscaler")
        self.assertEqual(hpa["spec"]["metrics"][0]["resource"]["name"], "cpu")
        self.assertEqual(hpa["spec"]["maxReplicas"], 10)
        # mTLS: probes move to the plaintext health port.
        self.assertEqual(c["readinessProbe"]["grpc"]["port"], 8081)
        data = one(m, "ConfigMap")["data"]
        self.assertNotIn("FEEDBACK_INSECURE", data)
        self.assertEqual(data["FEEDBACK_HEALTH_LISTEN"], "0.0.0.0:8081")
        self.assertEqual(data["FEEDBACK_TLS_CERT"], "/etc/feedback/tls/tls.crt")
        self.assertEqual(data["FEEDBACK_CLIENT_CA"], "/etc/feedback/client-ca/ca.crt")
        secrets = {v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
        self.assertEqual(secrets, {"feedback-tls", "feedback-client-ca"})
        headless = m[("Service", "rel-feedback-headless")]
        self.assertEqual(headless["spec"]["clusterIP"], "None")
        np = one(m, "NetworkPolicy")
        self.assertEqual(np["spec"]["policyTypes"], ["Ingress", "Egress"])
        self.assertEqual(np["spec"]["ingress"][0]["ports"][0]["port"], 50051)
        egress_ports = {p["port"] for rule in np["spec"]["egress"] for p in rule["ports"]}
        self.assertEqual(egress_ports, {5432, 53})

    def test_no_secret_in_plain_text(self):
        for args in ([], ["-f", ALL_ON]):
            text = helm("template", "rel", CHART, *args).stdout
            self.assertNotRegex(text, r"postgres(ql)?://")
            self.assertNotRegex(text, r"(?i)password")
            self.assertNotIn("kind: Secret", text)

    def test_bad_values_fail_at_install_time(self):
        for bad in (["--set", "server.logLevel=loud"], ["--set", "server.poolSize=1"],
                    ["--set", "database.url=postgresql://u:p@db/x"],
                    ["--set", "server.unknownFlag=1"], ["--set", "insecure=false"],
                    ["--set", "tls.enabled=true"]):
            out = helm("template", "rel", CHART, *bad)
            self.assertNotEqual(out.returncode, 0, bad)

    @unittest.skipUnless(FEEDBACKD, "FEEDBACKD not set")
    def test_every_serve_flag_is_reachable(self):
        help_text = "".join(
            subprocess.run([FEEDBACKD, *sub, "--help"], capture_output=True, text=True).stdout
            for sub in ([], ["serve"]))
        variables = set(re.findall(r"\(Env:(FEEDBACK_[A-Z_]+)\)", help_text))
        self.assertGreater(len(variables), 20, help_text)
        rendered = set()
        for args in ([], ["-f", ALL_ON]):
            m = render(*args)
            rendered |= set(one(m, "ConfigMap")["data"])
            rendered |= {e["name"] for e in one(m, "Deployment")["spec"]["template"]["spec"]
                         ["containers"][0]["env"]}
        self.assertEqual(variables - rendered, set())


if __name__ == "__main__":
    unittest.main()
