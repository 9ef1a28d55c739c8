"""feedbackctl and the integration examples end to end against a real
feedbackd on a fresh database (FEEDBACK_TEST_DATABASE_URL's server).

Binaries come from ctest's environment: FEEDBACKD, FEEDBACKCTL,
IVR_EXAMPLE, CHECKOUT_EXAMPLE.
"""
import csv
import io
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import uuid
from datetime import datetime, timedelta, timezone

FEEDBACKD = os.environ["FEEDBACKD"]
FEEDBACKCTL = os.environ["FEEDBACKCTL"]
IVR = os.environ["IVR_EXAMPLE"]
CHECKOUT = os.environ["CHECKOUT_EXAMPLE"]
ADMIN_URL = os.environ.get("FEEDBACK_TEST_DATABASE_URL", "")
CHROMIUM = shutil.which("chromium")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """feedbackd on a fresh database, on a fixed port (so it can restart)."""

    def __init__(self):
        self.db = "ctl_" + uuid.uuid4().hex[:12]
        subprocess.run(["psql", "-X", "-q", ADMIN_URL, "-c", f"CREATE DATABASE {self.db}"], check=True)
        self.url = ADMIN_URL.rsplit("/", 1)[0] + "/" + self.db
        self.env = dict(os.environ, FEEDBACK_DATABASE_URL=self.url)
        subprocess.run([FEEDBACKD, "migrate"], env=self.env, check=True, capture_output=True)
        self.keys = {}
        for role in ("ingest", "agent", "supervisor", "manager", "admin"):
            args = [FEEDBACKD, "create-api-key", "--name", f"{role}-1", "--role", role]
            if role == "agent":
                args += ["--queues", "general,billing"]
            self.keys[role] = subprocess.run(args, env=self.env, check=True, capture_output=True,
                                             text=True).stdout.strip()
        self.port = free_port()
        self.addr = f"127.0.0.1:{self.port}"
        self.proc = None
        self.start()

    def start(self):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([FEEDBACKD, "serve", "--insecure", "--listen", self.addr,
                                      "--sla_interval_ms", "200"],
                                     env=self.env, stderr=self.log, stdout=self.log)
        for _ in range(100):
            if ctl(self, "health", key=None).returncode == 0:
                return
            time.sleep(0.1)
        raise AssertionError("feedbackd did not become SERVING")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()

    def close(self):
        self.stop()
        subprocess.run(["psql", "-X", "-q", ADMIN_URL, "-c", f"DROP DATABASE {self.db} WITH (FORCE)"])

    def sql(self, query):
        return subprocess.run(["psql", "-X", "-q", "-At", self.url, "-c", query], check=True,
                              capture_output=True, text=True).stdout.strip()


def ctl(server, *args, key="admin", addr=None):
    env = dict(os.environ)
    env.pop("FEEDBACK_API_KEY", None)
    cmd = [FEEDBACKCTL, "--addr", addr or server.addr]
    if key:
        cmd += ["--api_key", server.keys[key]]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, env=env, timeout=60)


class FeedbackctlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def ok(self, *args, key="admin"):
        out = ctl(self.server, *args, key=key)
        self.assertEqual(out.returncode, 0, f"{args}: {out.stderr}")
        return out.stdout

    def fails(self, code, message, *args, key="admin"):
        out = ctl(self.server, *args, key=key)
        self.assertEqual(out.returncode, code, f"{args}: {out.stdout} {out.stderr}")
        lines = out.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, out.stderr)  # one clear line, no gRPC internals
        self.assertIn(message, lines[0])

    def json(self, *args, key="admin"):
        return json.loads(self.ok("--output", "json", *args, key=key))

    def csv_rows(self, *args, key="admin"):
        return list(csv.DictReader(io.StringIO(self.ok("--output", "csv", *args, key=key))))

    def test_01_submits(self):
        r = self.json("rate", "--channel", "ivr", "--score", "5", "--request_id", "r-1",
                      "--customer_id", "cust-1", "--agent_id", "agent-1", key="ingest")
        self.assertTrue(r["feedback_id"])
        again = self.json("rate", "--channel", "ivr", "--score", "5", "--request_id", "r-1",
                          "--customer_id", "cust-1", "--agent_id", "agent-1", key="ingest")
        self.assertTrue(again["duplicate"])
        self.assertEqual(again["feedback_id"], r["feedback_id"])
        n = self.json("nps", "--channel", "web", "--score", "3", "--customer_id", "cust-2",
                      key="ingest")
        self.assertTrue(n["follow_up_complaint_id"])  # a detractor opens a case
        s = self.json("survey", "--channel", "checkout", "--csat", "4", "--nps", "9",
                      "--interaction_id", "order-1", key="ingest")
        self.assertEqual(s["nps_category"], "NPS_CATEGORY_PROMOTER")
        self.fails(1, "error: score: must be between 1 and 5", "rate", "--channel", "ivr",
                   "--score", "9", key="ingest")
        self.fails(2, "", "rate", "--channel", "fax", "--score", "3", key="ingest")
        self.fails(1, "error: authorization: missing", "rate", "--channel", "ivr", "--score", "3",
                   key=None)
        out = ctl(self.server, "rate", "--channel", "ivr", "--score", "3", key="ingest",
                  addr=f"127.0.0.1:{free_port()}")
        self.assertEqual(out.returncode, 3, out.stderr)  # unavailable: safe to retry
        self.assertEqual(self.server.sql("SELECT count(*) FROM feedback"), "4")

    def test_02_complaint_workflow(self):
        filed = self.json("complaint", "file", "--channel", "email", "--queue", "general",
                          "--subject", "Broken kettle", "--category", "product",
                          "--customer_id", "cust-9", key="ingest")
        cid = filed["id"]
        self.assertEqual(self.json("complaint", "get", cid, key="agent")["status"],
                         "COMPLAINT_STATUS_NEW")
        rows = self.csv_rows("complaint", "list", "--queue", "general", key="agent")
        self.assertIn(cid, [r["id"] for r in rows])
        self.assertIn("subject", rows[0])
        table = self.ok("complaint", "list", "--queue", "general", key="agent")
        self.assertRegex(table.splitlines()[0], r"^id\s+status\s+priority")
        claimed = self.json("complaint", "claim", "--queue", "general", key="agent")
        self.assertEqual(claimed["assignee_id"], "agent-1")
        watch = subprocess.Popen([FEEDBACKCTL, "--addr", self.server.addr, "--api_key",
                                  self.server.keys["agent"], "--output", "compact", "complaint",
                                  "watch", "--queue", "general", "--max_events", "1"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1)
        self.ok("complaint", "note", claimed["id"], "--body", "We will replace it", "--public",
                key="agent")
        out, err = watch.communicate(timeout=30)
        self.assertEqual(watch.returncode, 0, err)
        event = json.loads(out.splitlines()[0])
        self.assertEqual(event["complaint_id"], claimed["id"])
        current = self.json("complaint", "get", claimed["id"], key="agent")
        self.fails(1, "etag", "complaint", "transition", claimed["id"], "--etag", "999", "--to",
                   "resolved", "--resolution_code", "replaced", key="agent")
        resolved = self.json("complaint", "transition", claimed["id"], "--etag",
                             current["etag"], "--to", "resolved", "--resolution_code",
                             "replaced", key="agent")
        self.assertEqual(resolved["status"], "COMPLAINT_STATUS_RESOLVED")
        events = self.csv_rows("complaint", "events", claimed["id"], key="agent")
        self.assertGreaterEqual(len(events), 4)  # created, assigned, note, resolved
        other = self.json("complaint", "file", "--channel", "web", "--queue", "general",
                          "--subject", "Late parcel", key="ingest")
        escalated = self.json("complaint", "escalate", other["id"], "--etag", other["etag"],
                              "--reason", "VIP customer", key="supervisor")
        self.assertEqual(escalated["escalation_level"], 1)
        assigned = self.json("complaint", "assign", other["id"], "--etag", escalated["etag"],
                             "--assignee", "agent-1", key="supervisor")
        self.assertEqual(assigned["assignee_id"], "agent-1")
        self.fails(1, "error:", "complaint", "assign", other["id"], "--etag", assigned["etag"],
                   "--assignee", "x", key="agent")  # agents may not assign

        due = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        f = self.json("followup", "schedule", other["id"], "--kind", "callback", "--due", due,
                      "--note", "call back", key="agent")
        self.assertEqual(len(self.csv_rows("followup", "list", "--complaint_id", other["id"],
                                           "--pending", key="agent")), 1)
        done = self.json("followup", "complete", f["id"], "--outcome", "reached", key="agent")
        self.assertEqual(done["status"], "FOLLOW_UP_STATUS_DONE")
        self.assertEqual(done["outcome"], "reached")
        self.fails(2, "--due", "followup", "schedule", other["id"], "--kind", "email", "--due",
                   "tomorrow", key="agent")
        # A rating of the resolution, for the complaint report.
        self.ok("rate", "--channel", "email", "--score", "5", "--customer_id", "cust-9",
                "--complaint_id", claimed["id"], key="ingest")

    def test_03_reports(self):
        today = datetime.now(timezone.utc).date()
        span = ["--from", str(today - timedelta(days=2)), "--to", str(today + timedelta(days=1))]
        csat = self.csv_rows("report", "satisfaction", *span, "--bucket", "day", "--group_by",
                             "channel", key="manager")
        self.assertEqual(csat[-1]["bucket_start"], "TOTAL")
        self.assertEqual(int(csat[-1]["responses"]),
                         int(self.server.sql("SELECT count(*) FROM feedback WHERE kind = 1")))
        nps = self.json("report", "nps", *span, key="manager")
        self.assertEqual(int(nps["total"]["responses"]), 2)
        complaints = self.json("report", "complaints", *span, "--group_by", "category",
                               key="manager")
        self.assertGreaterEqual(int(complaints["total"]["opened"]), 3)
        self.assertEqual(complaints["total"]["resolution_csat_percent"], 100)
        retention = self.ok("report", "retention", *span, "--bucket", "day", key="manager")
        self.assertIn("active_customers", retention.splitlines()[0])
        self.fails(1, "error: bucket:", "report", "retention", *span, key="manager")
        self.fails(2, "--zone", "report", "nps", *span, "--zone", "Mars/Base", key="manager")
        self.fails(1, "error:", "report", "nps", *span, key="agent")  # managers only

    @unittest.skipUnless(CHROMIUM, "chromium not installed")
    def test_04_html_report_renders(self):
        from PIL import Image  # Debian's python3-pil

        today = datetime.now(timezone.utc).date()
        with tempfile.TemporaryDirectory() as tmp:
            for kind in ("satisfaction", "nps", "complaints", "retention"):
                page = os.path.join(tmp, f"{kind}.html")
                self.ok("--output", "html", "--file", page, "report", kind, "--from",
                        str(today - timedelta(days=2)), "--to", str(today + timedelta(days=1)),
                        "--bucket", "day", key="manager")
                with open(page) as f:
                    html = f.read()
                self.assertIn("<svg", html)
                self.assertNotRegex(html, r"(src|href)=\"(https?:)?//")  # self-contained
                png = os.path.join(tmp, f"{kind}.png")
                subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                                "--hide-scrollbars", "--window-size=1000,900",
                                f"--screenshot={png}", "file://" + page],
                               capture_output=True, timeout=120, cwd=tmp)
                self.assertTrue(os.path.exists(png), kind)
                image = Image.open(png).convert("RGB")
                colors = image.getcolors(maxcolors=1 << 20)
                self.assertGreater(len(colors), 20, kind)  # text, lines and bars, not blank
                # The chart colours are really drawn.
                self.assertTrue(any(c == (31, 119, 180) for _, c in colors), kind)

    def test_05_admin(self):
        created = self.json("admin", "key", "create", "--name", "kiosk", "--role", "ingest")
        self.assertTrue(created["key"].startswith("fbk_"))
        keys = self.csv_rows("admin", "key", "list")
        self.assertIn("kiosk", [k["name"] for k in keys])
        self.assertNotIn(created["key"], self.ok("admin", "key", "list", "--output", "json"))
        self.ok("admin", "key", "revoke", created["api_key"]["id"])
        policy = self.json("admin", "sla", "set", "--priority", "high", "--first_response", "2h",
                           "--resolution", "16h", "--zone", "Europe/Warsaw", "--hours",
                           "1-5 08:00-18:00", "--holiday", "2026-12-24")
        self.assertEqual(policy["first_response_target"], "7200s")
        self.assertEqual(len(policy["calendar"]["open_hours"]), 5)
        self.assertEqual(len(self.csv_rows("admin", "sla", "list")), 4)
        self.fails(2, "--hours", "admin", "sla", "set", "--priority", "high",
                   "--first_response", "2h", "--resolution", "16h", "--hours", "weekdays")
        erased = self.json("admin", "erase", "cust-9")
        self.assertGreaterEqual(int(erased["complaints"]), 1)
        self.fails(1, "error:", "admin", "erase", "cust-9", key="manager")

    def test_05b_every_subcommand_has_a_clear_error_path(self):
        missing = "00000000-0000-0000-0000-000000000000"
        span = ["--from", "2026-11-01", "--to", "2026-11-02"]
        cases = [
            # (exit code, text in the one error line, role, args)
            (1, "score", "ingest", ["nps", "--channel", "web", "--score", "11"]),
            (1, "csat_score", "ingest", ["survey", "--channel", "checkout", "--csat", "0"]),
            (1, "subject", "ingest", ["complaint", "file", "--channel", "web", "--queue",
                                      "general", "--subject", ""]),
            (1, "not found", "supervisor", ["complaint", "get", missing]),
            (1, "page_size", "agent", ["complaint", "list", "--page_size", "-5"]),
            (1, "queue", "agent", ["complaint", "claim", "--queue", "elsewhere"]),
            (1, "body", "agent", ["complaint", "note", missing, "--body", ""]),
            (1, "error:", "agent", ["complaint", "escalate", missing, "--etag", "1", "--reason",
                                    "x"]),
            (1, "error:", "supervisor", ["complaint", "events", "not-a-uuid"]),
            (1, "error:", "ingest", ["complaint", "watch"]),
            (1, "error:", "agent", ["followup", "complete", missing, "--outcome", "done"]),
            (1, "page_size", "agent", ["followup", "list", "--page_size", "-1"]),
            (1, "start_time", "manager", ["report", "satisfaction", "--from", "2026-11-02",
                                          "--to", "2026-11-01"]),
            (1, "group_by", "manager", ["report", "satisfaction", *span, "--group_by",
                                        "category"]),
            (1, "error:", "agent", ["report", "complaints", *span]),
            (1, "name:", "admin", ["admin", "key", "create", "--name", "", "--role", "agent"]),
            (1, "error:", "admin", ["admin", "key", "revoke", "999999"]),
            (1, "error:", "manager", ["admin", "key", "list"]),
            (1, "error:", "agent", ["admin", "sla", "list"]),
            (2, "A subcommand is required", "admin", ["complaint"]),
            (2, "--first_response", "admin", ["admin", "sla", "set", "--priority", "low",
                                              "--first_response", "soon", "--resolution", "1h",
                                              "--hours", "1-5 09:00-17:00"]),
        ]
        for code, text, role, args in cases:
            with self.subTest(args=args):
                self.fails(code, text, *args, key=role)

    def test_06_examples(self):
        env = dict(os.environ, FEEDBACK_ADDR=self.server.addr,
                   FEEDBACK_API_KEY=self.server.keys["ingest"])
        out = subprocess.run([CHECKOUT, "--order_id", "order-77", "--csat", "5", "--nps", "10"],
                             env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        # The IVR call survives the service restarting: it retries with the
        # same request id until the server is back.
        self.server.stop()
        ivr = subprocess.Popen([IVR, "--call_id", "call-restart", "--digit", "4"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        self.server.start()
        out, err = ivr.communicate(timeout=60)
        self.assertEqual(ivr.returncode, 0, err)
        self.assertIn("stored", out)
        self.assertEqual(self.server.sql(
            "SELECT count(*) FROM feedback WHERE interaction_id = 'call-restart'"), "1")
        again = subprocess.run([IVR, "--call_id", "call-restart", "--digit", "4"], env=env,
                               capture_output=True, text=True, timeout=60)
        self.assertIn("already stored", again.stdout)


if __name__ == "__main__":
    unittest.main()
