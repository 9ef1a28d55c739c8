"""The benchmark suite (scripts/dev.sh bench): the service against its
ceilings, side by side in one run on one machine.

Brings up its own PostgreSQL cluster (fsync and synchronous_commit on: the
durability the service promises) and feedbackd from a Release build, runs
every scenario --repeat times and writes results.json (raw) and results.md
(tables: median with min-max) into --out.

  1. ingest: SubmitRating closed loop at 1/16/64/256 in flight vs
     (a) pgbench, the same single-row INSERT with one commit per row, and
     (b) the no-op gRPC server (same gRPC, same message); then an open-loop
     run at a fixed rate. After every run the rows are counted:
     acknowledged new == rows written.
  2. replay storm: 50% duplicate request ids; no extra rows.
  3. reports: the four reports, 90 days x week x channel and 365 days x day
     x agent, vs. the same numbers by plain SQL over the raw rows (and
     compared). Over --report-db (an already loaded database) or data
     generated here (--report-feedback / --report-complaints rows).
  4. claims: 32 agents calling ClaimNextComplaint on 100k open complaints,
     the service beside its one-claim-per-transaction baseline;
     a complaint claimed twice is counted.
  5. memory and start-up: peak RSS of feedbackd over scenario 1, and the
     time from start to SERVING on a migrated database.
  6. fold: the fold's lag (age of the oldest unfolded score, sampled every
     0.1 s) during the ingest runs at 64 in flight; folding alone (a server
     with --no_fold takes a load, then `feedbackd migrate` folds it) in
     facts/s beside that load's ingest rate; the first 10 s of ingest on a
     freshly migrated database beside the next 10 s; and the report shapes
     again with a 100k-fact tail the folder has not folded.
"""
import argparse
import datetime
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

PG_BIN = "/usr/lib/postgresql/15/bin"


def log(msg):
    print(f"==> {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(args, **kw):
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--"] + args
    return subprocess.run(args, cwd="/", **kw)


class Cluster:
    """A private PostgreSQL 15 cluster with production durability."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="feedback-bench-", dir="/var/tmp")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        as_postgres([f"{PG_BIN}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust"],
                    check=True, capture_output=True)
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.data, "-l", os.path.join(self.data, "log"),
                     "-w", "-t", "60", "-o",
                     f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 "
                     "-c max_connections=400 -c shared_buffers=1GB -c fsync=on "
                     "-c synchronous_commit=on", "start"], check=True, capture_output=True)

    def close(self):
        as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", "immediate", "stop"],
                    capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def sql(url, query):
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", query],
                          check=True, capture_output=True, text=True).stdout.strip()


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values}


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = args.build
        self.bin = {
            "feedbackd": f"{self.build}/services/feedbackd/feedbackd",
            "feedbackctl": f"{self.build}/clients/feedbackctl",
            "loadgen": f"{self.build}/clients/feedback_loadgen",
            "noop": f"{self.build}/tests/feedback_noop_server",
            "timer": f"{self.build}/tests/feedback_report_timer",
            "datagen": f"{self.build}/tests/feedback_datagen",
        }
        self.results = {"machine": machine(), "started": now_iso(), "args": vars(args)}
        self.cluster = Cluster()
        self.env = dict(os.environ, FEEDBACK_DATABASE_URL=self.cluster.url)
        self.server = None
        self.noop = None

    # -- processes -------------------------------------------------------

    def feedbackd(self, *args, url=None):
        env = dict(self.env, FEEDBACK_DATABASE_URL=url or self.cluster.url)
        return subprocess.run([self.bin["feedbackd"], *args], env=env, check=True,
                              capture_output=True, text=True).stdout.strip()

    def health(self, addr):
        return subprocess.run([self.bin["feedbackctl"], "--addr", addr, "--deadline_ms", "500",
                               "health"], capture_output=True, text=True).stdout.strip()

    def start_server(self, url=None, extra_env=None):
        """Starts feedbackd; returns seconds from exec to SERVING."""
        self.addr = f"127.0.0.1:{free_port()}"
        env = dict(self.env, FEEDBACK_DATABASE_URL=url or self.cluster.url, **(extra_env or {}))
        self.server_log = open(os.path.join(self.args.out, "feedbackd.log"), "a")
        started = time.monotonic()
        self.server = subprocess.Popen(
            [self.bin["feedbackd"], "serve", "--insecure", "--listen", self.addr], env=env,
            stdout=self.server_log, stderr=self.server_log)
        while time.monotonic() - started < 30:
            if self.health(self.addr) == "SERVING":
                return time.monotonic() - started
            if self.server.poll() is not None:
                raise RuntimeError("feedbackd exited; see feedbackd.log")
            time.sleep(0.01)
        raise RuntimeError("feedbackd not SERVING after 30 s")

    def stop_server(self):
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            self.server.wait(60)
        self.server = None

    def peak_rss_mb(self):
        with open(f"/proc/{self.server.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def loadgen(self, addr, key, *args, seconds=None, warmup=1):
        out = subprocess.run([self.bin["loadgen"], "--addr", addr, "--api_key", key,
                              "--seconds", str(seconds or self.args.seconds),
                              "--warmup_seconds", str(warmup), *args],
                             capture_output=True, text=True)
        if not out.stdout.strip():
            raise RuntimeError(f"loadgen failed: {out.stderr}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    def rows_with_prefix(self, run_id):
        return int(sql(self.cluster.url, "SELECT count(*) FROM idempotency_keys "
                       f"WHERE request_id LIKE '{run_id}-%'"))

    # -- scenarios -------------------------------------------------------

    def startup(self):
        times = []
        for _ in range(self.args.repeat):
            times.append(self.start_server())
            self.stop_server()
        self.results["startup_s"] = summary(times)
        log(f"start-up to SERVING: median {statistics.median(times):.3f} s")

    def ingest(self):
        key = self.feedbackd("create-api-key", "--name", "bench-ivr", "--role", "ingest")
        self.start_server()
        self.noop_addr = f"127.0.0.1:{free_port()}"
        self.noop = subprocess.Popen([self.bin["noop"], "--listen", self.noop_addr],
                                     stdout=subprocess.DEVNULL)
        time.sleep(0.5)
        self.prepare_pgbench()
        out = {}
        run = 0
        lags = []
        for conc in self.args.concurrency:
            rows = {"service": [], "pgbench": [], "noop": [], "p50_ms": [], "p99_ms": [],
                    "p999_ms": [], "noop_p99_ms": [], "exact": []}
            for _ in range(self.args.repeat):
                run += 1
                run_id = f"bench{os.getpid()}i{run}"
                sampler = LagSampler(self.cluster.url) if conc == 64 else None
                r = self.loadgen(self.addr, key, "--concurrency", str(conc), "--run_id", run_id)
                if sampler:
                    lags.extend(sampler.stop())
                stored = self.rows_with_prefix(run_id)
                exact = (stored == r["all_ok_new"] and not r["errors"])
                rows["exact"].append(exact)
                rows["service"].append(r["calls_per_s"])
                for p in ("p50_ms", "p99_ms", "p999_ms"):
                    rows[p].append(r[p])
                log(f"ingest c={conc}: {r['calls_per_s']}/s p99 {r['p99_ms']:.2f} ms, "
                    f"acked new {r['all_ok_new']}, rows {stored}, errors {r['errors']}")
                rows["pgbench"].append(self.pgbench(conc))
                n = self.loadgen(self.noop_addr, "noop", "--concurrency", str(conc))
                rows["noop"].append(n["calls_per_s"])
                rows["noop_p99_ms"].append(n["p99_ms"])
            out[conc] = {k: (summary(v) if k != "exact" else all(v)) for k, v in rows.items()}
            out[conc]["vs_pgbench"] = summary([s / p for s, p in zip(rows["service"],
                                                                     rows["pgbench"])])
            out[conc]["vs_noop"] = summary([s / n for s, n in zip(rows["service"], rows["noop"])])
        self.results["ingest"] = out
        if lags:
            lags.sort()
            self.results["fold_lag_s"] = {
                "p50": lags[len(lags) // 2], "p99": lags[min(len(lags) - 1, int(len(lags) * 0.99))],
                "max": lags[-1], "samples": len(lags)}
            log(f"fold lag at 64 in flight: p50 {self.results['fold_lag_s']['p50']:.3f} s, "
                f"p99 {self.results['fold_lag_s']['p99']:.3f} s over {len(lags)} samples")
        self.results["peak_rss_mb"] = self.peak_rss_mb()
        log(f"feedbackd peak RSS over the ingest runs: {self.results['peak_rss_mb']:.0f} MB")

        # Open loop at a fixed rate: about 70% of the closed-loop rate at 64.
        base = out.get(64, next(iter(out.values())))["service"]["median"]
        rate = max(100, int(base * 0.7))
        runs = []
        for _ in range(self.args.repeat):
            run += 1
            run_id = f"bench{os.getpid()}o{run}"
            r = self.loadgen(self.addr, key, "--rate", str(rate), "--run_id", run_id)
            r["exact"] = self.rows_with_prefix(run_id) == r["all_ok_new"] and not r["errors"]
            runs.append(r)
            log(f"open loop {rate}/s: {r['calls_per_s']}/s p50 {r['p50_ms']:.2f} "
                f"p99 {r['p99_ms']:.2f} p99.9 {r['p999_ms']:.2f} ms")
        self.results["open_loop"] = {
            "rate": rate, "calls_per_s": summary([r["calls_per_s"] for r in runs]),
            "p50_ms": summary([r["p50_ms"] for r in runs]),
            "p99_ms": summary([r["p99_ms"] for r in runs]),
            "p999_ms": summary([r["p999_ms"] for r in runs]),
            "exact": all(r["exact"] for r in runs)}

        # Replay storm: half the calls repeat an earlier request id.
        storm = []
        for _ in range(self.args.repeat):
            run += 1
            run_id = f"bench{os.getpid()}d{run}"
            r = self.loadgen(self.addr, key, "--concurrency", "64", "--duplicate_percent", "50",
                             "--run_id", run_id)
            stored = self.rows_with_prefix(run_id)
            r["exact"] = stored == r["all_ok_new"] and not r["errors"]
            storm.append(r)
            log(f"replay storm: {r['calls_per_s']}/s, duplicates {r['ok_duplicate']}, "
                f"new acked {r['all_ok_new']}, rows {stored}")
        self.results["replay_storm"] = {
            "calls_per_s": summary([r["calls_per_s"] for r in storm]),
            "duplicate_share": summary([r["ok_duplicate"] / max(1, r["ok"]) for r in storm]),
            "p99_ms": summary([r["p99_ms"] for r in storm]),
            "exact": all(r["exact"] for r in storm)}
        self.noop.send_signal(signal.SIGTERM)
        self.noop.wait(10)
        self.stop_server()

    def prepare_pgbench(self):
        sql(self.cluster.url, "DROP TABLE IF EXISTS bench_feedback; "
            "CREATE TABLE bench_feedback (LIKE feedback INCLUDING ALL)")
        self.pgbench_script = os.path.join(self.args.out, "pgbench_insert.sql")
        with open(self.pgbench_script, "w") as f:
            f.write("\\set score random(1, 5)\n\\set agent random(0, 49)\n"
                    "\\set customer random(0, 99999)\n"
                    "INSERT INTO bench_feedback (id, kind, score, channel, customer_id, "
                    "interaction_id, agent_id, queue, attributes, api_key_id, occurred_at, "
                    "received_at) VALUES (gen_random_uuid(), 1, :score, 1, 'cust-' || :customer, "
                    "'call-' || :client_id || '-' || random(), 'agent-' || :agent, 'general', "
                    "'{\"ivr_flow\": \"post-call\"}', 1, now(), now());\n")

    def pgbench(self, clients):
        out = subprocess.run(["pgbench", "-n", "-c", str(clients), "-j", str(min(clients, 2)),
                              "-T", str(self.args.seconds), "-f", self.pgbench_script,
                              self.cluster.url], capture_output=True, text=True, check=True)
        for line in out.stdout.splitlines():
            if line.startswith("tps ="):
                return float(line.split()[2])
        raise RuntimeError(f"pgbench: no tps in {out.stdout}")

    # The claim scenario's variants, run alternately in the same run: the
    # service as configured, and its baseline serving one claim per
    # transaction on four threads (what the service did before claims were
    # served together).
    CLAIM_VARIANTS = {"batched": {},
                      "one_per_transaction": {"FEEDBACK_CLAIM_BATCH": "1",
                                              "FEEDBACK_CLAIM_THREADS": "4"}}

    def claims(self):
        keys = [self.feedbackd("create-api-key", "--name", f"bench-agent-{i}", "--role", "agent",
                               "--queues", "general,billing") for i in range(32)]
        runs = {name: [] for name in self.CLAIM_VARIANTS}
        for _ in range(self.args.repeat):
            for name, env in self.CLAIM_VARIANTS.items():
                self.start_server(extra_env=env)
                runs[name].append(self.claim_run(keys))
                self.stop_server()
                r = runs[name][-1]
                log(f"claims ({name}): {r['calls_per_s']}/s, claimed {r['claimed']} "
                    f"(distinct {r['claimed_distinct']}, rows assigned {r['assigned_rows']}), "
                    f"errors {r['errors']}")
        self.results["claims"] = {}
        for name, rs in runs.items():
            self.results["claims"][name] = {
                "calls_per_s": summary([r["calls_per_s"] for r in rs]),
                "p99_ms": summary([r["p99_ms"] for r in rs]),
                "double_claims": sum(r["double_claims"] for r in rs),
                "errors": [r["errors"] for r in rs],
                "claimed_equals_assigned": all(r["assigned_matches"] for r in rs)}

    def claim_run(self, keys):
        sql(self.cluster.url, "TRUNCATE complaints CASCADE")
        sql(self.cluster.url, f"""
          INSERT INTO complaints (id, status, priority, queue, category, channel, customer_id,
            subject, created_at, updated_at, first_response_due_at, resolution_due_at,
            first_response_breached, resolution_breached, escalation_level, reopen_count)
          SELECT gen_random_uuid(), 1, 1 + i % 4, (ARRAY['general', 'billing'])[1 + i % 2],
            'delivery', 1, 'cust-' || i, 'Generated', now() - i * interval '1 second',
            now(), now() + interval '4 hours', now() + interval '3 days', false, false, 0, 0
          FROM generate_series(1, {self.args.open_complaints}) i""")
        sql(self.cluster.url, "ANALYZE complaints")  # as autovacuum would, soon after
        r = self.loadgen(self.addr, ",".join(keys), "--rpc", "claim", "--concurrency", "32")
        assigned = int(sql(self.cluster.url,
                           "SELECT count(*) FROM complaints WHERE assignee_id IS NOT NULL"))
        r["double_claims"] = r["claimed"] - r["claimed_distinct"]
        r["assigned_rows"] = assigned
        # A call that ran out of its deadline (or lost its answer) may
        # still have claimed: gRPC leaves its outcome unknown.
        unknown = r["errors"].get("4", 0) + r["errors"].get("14", 0)
        r["assigned_matches"] = r["claimed"] <= assigned <= r["claimed"] + unknown
        return r

    def reports(self):
        url = self.args.report_db
        if url:
            self.feedbackd("migrate", url=url)
        else:
            url = self.cluster.url.rsplit("/", 1)[0] + "/reports"
            sql(self.cluster.url, "CREATE DATABASE reports")
            self.feedbackd("migrate", url=url)
            log(f"generating {self.args.report_feedback} scores and "
                f"{self.args.report_complaints} complaints")
            subprocess.run([self.bin["datagen"], "--database_url", url, "--feedback",
                            str(self.args.report_feedback), "--complaints",
                            str(self.args.report_complaints), "--days", "400"], check=True)
        key = self.feedbackd("create-api-key", "--name", f"bench-manager-{os.getpid()}",
                             "--role", "manager", url=url)
        self.start_server(url)
        self.results["reports"] = self.time_reports(url, key, "")
        self.stop_server()
        # Again with a tail of 100k scores the folder (off) has not folded.
        self.start_server(url, extra_env={"FEEDBACK_FOLD": "false"})
        sql(url, f"""
          INSERT INTO feedback (id, kind, score, channel, customer_id, agent_id, queue,
                                api_key_id, occurred_at, received_at)
          SELECT gen_random_uuid(), 1 + (g % 3 = 0)::int, CASE WHEN g % 3 = 0 THEN g % 11
                 ELSE 1 + g % 5 END, 1 + g % 6, 'cust-' || g % 50000, 'agent-' || g % 50,
                 'general', 1, now() - (g % 7776000) * interval '1 second', now()
          FROM generate_series(1, {self.args.report_tail}) g""")
        tail = int(sql(url, "SELECT count(*) FROM feedback WHERE fold_xid >= "
                       "(SELECT watermark FROM fold_state)"))
        log(f"reports with a tail of {tail} unfolded scores")
        self.results["reports_tail"] = self.time_reports(url, key, "90d_week_channel")
        self.results["reports_tail_facts"] = tail
        self.stop_server()
        self.feedbackd("migrate", url=url)  # folds the tail

    def time_reports(self, url, key, only_shape):
        today = datetime.datetime.now(datetime.timezone.utc).replace(
            hour=0, minute=0, second=0, microsecond=0)
        shapes = {
            "90d_week_channel": (today - datetime.timedelta(days=91), "BUCKET_WEEK",
                                 "DIMENSION_CHANNEL", "channel"),
            "365d_day_agent": (today - datetime.timedelta(days=365), "BUCKET_DAY",
                               "DIMENSION_AGENT", "agent"),
        }
        out = {}
        for report in self.args.reports:
            for shape, (start, bucket, dim, column) in shapes.items():
                if only_shape and shape != only_shape:
                    continue
                query = {"startTime": iso(start), "endTime": iso(today), "timeZone": "UTC",
                         "bucket": bucket}
                if report != "retention":  # the return rate has no group keys
                    query["groupBy"] = [dim]
                timed = subprocess.run([self.bin["timer"], "--addr", self.addr, "--api_key", key,
                                        "--report", report, "--query", json.dumps(query),
                                        "--repeat", str(self.args.report_repeat)],
                                       capture_output=True, text=True, check=True)
                got = json.loads(timed.stdout)
                plain_times, plain = [], None
                for _ in range(self.args.repeat):  # plain SQL: --repeat runs
                    t0 = time.monotonic()
                    plain = plain_sql(url, report, start, today, bucket, column)
                    plain_times.append(time.monotonic() - t0)
                same, compared = compare(report, got["response"], plain, column)
                lat = sorted(got["latencies_ms"])
                res = {"p50_ms": statistics.median(lat), "max_ms": lat[-1],
                       "plain_sql_ms": summary([t * 1000 for t in plain_times]),
                       "rows": len(got["response"].get("rows", [])),
                       "identical": same, "values_compared": compared}
                res["speedup"] = res["plain_sql_ms"]["median"] / max(res["p50_ms"], 1e-6)
                out[f"{report}/{shape}"] = res
                log(f"report {report} {shape}: p50 {res['p50_ms']:.1f} ms vs plain SQL "
                    f"{res['plain_sql_ms']['median']:.0f} ms ({res['speedup']:.0f}x), "
                    f"identical={same} over {compared} values")
        return out

    def fold(self):
        """Folding alone, and ingest from a cold start, each on a fresh database."""
        runs = []
        for i in range(self.args.repeat):
            url = self.fresh_database(f"foldbench{i}")
            key = self.feedbackd("create-api-key", "--name", "bench-ivr", "--role", "ingest",
                                 url=url)
            self.start_server(url, extra_env={"FEEDBACK_FOLD": "false"})
            r = self.loadgen(self.addr, key, "--concurrency", "64", "--run_id", f"fold{i}",
                             seconds=2 * self.args.seconds)
            self.stop_server()
            facts = int(sql(url, "SELECT count(*) FROM feedback WHERE fold_xid >= "
                            "(SELECT watermark FROM fold_state)"))
            t0 = time.monotonic()
            self.feedbackd("migrate", url=url)
            took = time.monotonic() - t0
            left = int(sql(url, "SELECT count(*) FROM feedback WHERE fold_xid >= "
                           "(SELECT watermark FROM fold_state)"))
            runs.append({"facts": facts, "fold_s": took, "facts_per_s": facts / took,
                         "ingest_per_s": r["calls_per_s"], "left": left})
            log(f"folding alone: {facts} facts in {took:.2f} s = {facts / took:.0f}/s, "
                f"ingest was {r['calls_per_s']}/s ({facts / took / r['calls_per_s']:.1f}x)")
        self.results["fold_alone"] = {
            "facts_per_s": summary([x["facts_per_s"] for x in runs]),
            "ingest_per_s": summary([x["ingest_per_s"] for x in runs]),
            "ratio": summary([x["facts_per_s"] / x["ingest_per_s"] for x in runs]),
            "all_folded": all(x["left"] == 0 for x in runs)}
        cold = []
        for i in range(self.args.repeat):
            url = self.fresh_database(f"coldbench{i}")
            key = self.feedbackd("create-api-key", "--name", "bench-ivr", "--role", "ingest",
                                 url=url)
            self.start_server(url)
            first = self.loadgen(self.addr, key, "--concurrency", "64", "--run_id", f"c{i}a",
                                 seconds=self.args.cold_seconds, warmup=0)
            steady = self.loadgen(self.addr, key, "--concurrency", "64", "--run_id", f"c{i}b",
                                  seconds=self.args.cold_seconds, warmup=0)
            self.stop_server()
            cold.append({"first": first["calls_per_s"], "steady": steady["calls_per_s"],
                         "first_p99_ms": first["p99_ms"]})
            log(f"cold start: first {self.args.cold_seconds} s {first['calls_per_s']}/s "
                f"(p99 {first['p99_ms']:.1f} ms), next {steady['calls_per_s']}/s")
        self.results["cold_start"] = {
            "first_per_s": summary([x["first"] for x in cold]),
            "steady_per_s": summary([x["steady"] for x in cold]),
            "ratio": summary([x["first"] / x["steady"] for x in cold]),
            "first_p99_ms": summary([x["first_p99_ms"] for x in cold])}

    def fresh_database(self, name):
        sql(self.cluster.url, f"DROP DATABASE IF EXISTS {name}")
        sql(self.cluster.url, f"CREATE DATABASE {name}")
        url = self.cluster.url.rsplit("/", 1)[0] + "/" + name
        self.feedbackd("migrate", url=url)
        return url

    def close(self):
        self.stop_server()
        if self.noop and self.noop.poll() is None:
            self.noop.kill()
        self.cluster.close()


class LagSampler:
    """Samples the fold's lag (seconds since the oldest unfolded score was
    received) every 0.1 s until stopped."""

    QUERY = ("SELECT coalesce(extract(epoch FROM now() - min(received_at)), 0) FROM feedback "
             "WHERE fold_xid >= (SELECT watermark FROM fold_state)")

    def __init__(self, url):
        self.url, self.samples, self.done = url, [], threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        while not self.done.wait(0.1):
            try:
                self.samples.append(float(sql(self.url, self.QUERY)))
            except subprocess.CalledProcessError:
                pass

    def stop(self):
        self.done.set()
        self.thread.join()
        return self.samples


# -- plain SQL for the reports -----------------------------------------------

REPORTS = ["satisfaction", "nps", "complaints", "retention"]
TRUNC = {"BUCKET_DAY": "day", "BUCKET_WEEK": "week", "BUCKET_MONTH": "month"}
CHANNELS = ["CHANNEL_UNSPECIFIED", "CHANNEL_IVR", "CHANNEL_CHECKOUT", "CHANNEL_WEB",
            "CHANNEL_EMAIL", "CHANNEL_CHAT", "CHANNEL_AGENT"]


def plain_sql(url, report, start, end, bucket, column):
    """The per-bucket, per-group counts straight from the raw rows (UTC)."""
    b = f"date_trunc('{TRUNC[bucket]}', {{t}} AT TIME ZONE 'UTC')"
    group = {"channel": "channel::text", "agent": "coalesce(agent_id, '')"}[column]
    rng = f"'{iso(start)}'::timestamptz AND {{t}} < '{iso(end)}'::timestamptz"
    if report in ("satisfaction", "nps"):
        kind = 1 if report == "satisfaction" else 2
        good = "score >= 4" if kind == 1 else "score >= 9"
        t = "occurred_at"
        q = (f"SELECT {b.format(t=t)}, {group}, count(*), count(*) FILTER (WHERE {good}) "
             f"FROM feedback WHERE kind = {kind} AND {t} >= {rng.format(t=t)} GROUP BY 1, 2")
    elif report == "complaints":
        group = {"channel": "channel::text", "agent": "coalesce(assignee_id, '')"}[column]
        t = "created_at"
        q = (f"SELECT {b.format(t=t)}, {group}, count(*), "
             f"count(*) FILTER (WHERE resolved_at IS NOT NULL) FROM complaints "
             f"WHERE {t} >= {rng.format(t=t)} GROUP BY 1, 2")
    else:
        # Active customers per bucket (scores and complaints together); the
        # report's buckets are whole from the one holding start_time.
        rng = (f"(date_trunc('{TRUNC[bucket]}', '{iso(start)}'::timestamptz AT TIME ZONE 'UTC')"
               f" AT TIME ZONE 'UTC') AND {{t}} < '{iso(end)}'::timestamptz")
        q = (f"SELECT bucket, '', count(DISTINCT customer_id), 0 FROM ("
             f" SELECT {b.format(t='occurred_at')} AS bucket, customer_id FROM feedback"
             f" WHERE customer_id IS NOT NULL AND occurred_at >= {rng.format(t='occurred_at')}"
             f" UNION ALL SELECT {b.format(t='created_at')}, customer_id FROM complaints"
             f" WHERE customer_id IS NOT NULL AND created_at >= {rng.format(t='created_at')}"
             f") a GROUP BY 1")
    rows = {}
    for line in sql(url, q).splitlines():
        day, key, n, good = line.split("|")
        rows[(day[:10], key)] = (int(n), int(good))
    return rows


def compare(report, response, plain, column):
    """Whether the report's counts equal the plain SQL ones; values compared."""
    got = {}
    for row in response.get("rows", []):
        day = row["bucketStart"][:10]
        if report == "retention":
            got[(day, "")] = (int(row["activeCustomers"]), 0)
            continue
        if column == "channel":
            key = str(CHANNELS.index(row.get("channel", "CHANNEL_UNSPECIFIED")))
        else:
            key = row.get("agentId", "")
        if report == "satisfaction":
            n = int(row["responses"])
            good = int(row["score4"]) + int(row["score5"])
        elif report == "nps":
            n = int(row["responses"])
            good = int(row["promoters"])
        else:
            n = int(row["opened"])
            good = int(row["resolved"])
        if n:
            got[(day, key)] = (n, good)
    plain = {k: v for k, v in plain.items() if v[0]}
    if got != plain:
        diff = sorted(k for k in set(got) | set(plain) if got.get(k) != plain.get(k))
        for k in diff[:3]:
            log(f"  {report} {k}: report {got.get(k)}, plain SQL {plain.get(k)}")
    return got == plain, 2 * len(plain)


# -- helpers -------------------------------------------------------------------

def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_kb / 1024 / 1024, 1),
            "kernel": os.uname().release,
            "postgres": subprocess.run([f"{PG_BIN}/postgres", "--version"], capture_output=True,
                                       text=True).stdout.strip()}


def fmt(s, unit="", digits=0):
    return f"{s['median']:.{digits}f}{unit} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


def markdown(r):
    m = r["machine"]
    lines = [f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['postgres']}; "
             f"run {r['started']}, {r['args']['repeat']} repetitions of {r['args']['seconds']} s, "
             "median (min–max).", ""]
    if "ingest" in r:
        lines += ["### Ingest: SubmitRating vs. its ceilings", "",
                  "| in flight | service req/s | p50 ms | p99 ms | p99.9 ms | pgbench rows/s "
                  "| ×pgbench | no-op req/s | ×no-op | acked = rows |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for conc, x in r["ingest"].items():
            lines.append(f"| {conc} | {fmt(x['service'])} | {fmt(x['p50_ms'], '', 2)} "
                         f"| {fmt(x['p99_ms'], '', 2)} | {fmt(x['p999_ms'], '', 2)} "
                         f"| {fmt(x['pgbench'])} | {fmt(x['vs_pgbench'], '', 2)} "
                         f"| {fmt(x['noop'])} | {fmt(x['vs_noop'], '', 2)} "
                         f"| {'yes' if x['exact'] else 'NO'} |")
        o = r["open_loop"]
        lines += ["", f"Open loop at {o['rate']} calls/s: achieved {fmt(o['calls_per_s'])}/s, "
                  f"p50 {fmt(o['p50_ms'], ' ms', 2)}, p99 {fmt(o['p99_ms'], ' ms', 2)}, "
                  f"p99.9 {fmt(o['p999_ms'], ' ms', 2)}; acked = rows: "
                  f"{'yes' if o['exact'] else 'NO'}.", ""]
        s = r["replay_storm"]
        lines += [f"Replay storm (64 in flight, 50% repeated request ids): {fmt(s['calls_per_s'])} "
                  f"req/s, p99 {fmt(s['p99_ms'], ' ms', 2)}, no extra rows: "
                  f"{'yes' if s['exact'] else 'NO'}.", "",
                  f"feedbackd peak RSS over the ingest runs: {r['peak_rss_mb']:.0f} MB.", ""]
    if "fold_lag_s" in r:
        f = r["fold_lag_s"]
        lines += [f"Fold lag during the runs at 64 in flight (age of the oldest unfolded score, "
                  f"{f['samples']} samples): p50 {f['p50']:.3f} s, p99 {f['p99']:.3f} s, "
                  f"max {f['max']:.3f} s.", ""]
    if "fold_alone" in r:
        f = r["fold_alone"]
        lines += [f"Folding alone: {fmt(f['facts_per_s'])} facts/s against the "
                  f"{fmt(f['ingest_per_s'])} req/s ingest that wrote them "
                  f"({fmt(f['ratio'], '×', 1)}); all folded: "
                  f"{'yes' if f['all_folded'] else 'NO'}.", ""]
    if "cold_start" in r:
        c = r["cold_start"]
        secs = r["args"]["cold_seconds"]
        lines += [f"Cold start (64 in flight, freshly migrated database): first {secs} s "
                  f"{fmt(c['first_per_s'])} req/s (p99 {fmt(c['first_p99_ms'], ' ms', 1)}), "
                  f"next {secs} s {fmt(c['steady_per_s'])} req/s ({fmt(c['ratio'], '×', 2)}).", ""]
    if "startup_s" in r:
        lines += [f"Start to SERVING on a migrated database: {fmt(r['startup_s'], ' s', 3)}.", ""]
    if "claims" in r:
        lines += [f"### Claims (32 agents, {r['args']['open_complaints']} open complaints)", "",
                  "| variant | claims/s | p99 ms | double claims | assigned = acknowledged |",
                  "|---|---|---|---|---|"]
        for name, c in r["claims"].items():
            lines.append(f"| {name} | {fmt(c['calls_per_s'])} | {fmt(c['p99_ms'], '', 2)} | "
                         f"{c['double_claims']} | "
                         f"{'yes' if c['claimed_equals_assigned'] else 'NO'} |")
        lines.append("")
    if "reports" in r:
        lines += report_table("Reports vs. plain SQL over the raw rows", r["reports"])
    if "reports_tail" in r:
        lines += report_table(f"Reports with a tail of {r['reports_tail_facts']} unfolded scores",
                              r["reports_tail"])
    return "\n".join(lines)


def report_table(title, reports):
    lines = [f"### {title}", "",
             "| report | shape | rows | p50 ms | plain SQL ms | × faster | identical |",
             "|---|---|---|---|---|---|---|"]
    for name, x in reports.items():
        report, shape = name.split("/")
        lines.append(f"| {report} | {shape} | {x['rows']} | {x['p50_ms']:.1f} "
                     f"| {fmt(x['plain_sql_ms'])} | {x['speedup']:.0f} "
                     f"| {'yes' if x['identical'] else 'NO'} ({x['values_compared']} values) |")
    return lines + [""]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--build", required=True, help="Release build directory")
    p.add_argument("--out", required=True)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64, 256])
    p.add_argument("--open-complaints", type=int, default=100000)
    p.add_argument("--report-db", help="an already loaded database for the report scenario")
    p.add_argument("--report-feedback", type=int, default=10_000_000)
    p.add_argument("--report-complaints", type=int, default=1_000_000)
    p.add_argument("--report-repeat", type=int, default=20)
    p.add_argument("--cold-seconds", type=int, default=10,
                   help="length of each of the cold start's two ingest runs")
    p.add_argument("--report-tail", type=int, default=100_000,
                   help="unfolded scores for the reports' second pass")
    p.add_argument("--reports", nargs="+", default=REPORTS, choices=REPORTS,
                   help="which reports the report scenario times")
    p.add_argument("--only", nargs="+",
                   default=["startup", "ingest", "fold", "claims", "reports"])
    p.add_argument("--check", action="store_true",
                   help="exit 1 when a correctness check fails (rows, double claims, numbers)")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    # Stopped from outside: still stop the servers and remove the cluster.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    bench = Bench(args)
    try:
        bench.feedbackd("migrate")
        for scenario in args.only:
            log(f"scenario: {scenario}")
            getattr(bench, scenario)()
            with open(os.path.join(args.out, "results.json"), "w") as f:
                json.dump(bench.results, f, indent=1, default=str)
    finally:
        bench.close()
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(markdown(bench.results))
    print(markdown(bench.results))
    problems = correctness_problems(bench.results)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    if args.check and problems:
        sys.exit(1)


def correctness_problems(r):
    """What was wrong, not slow: rows, double claims, report numbers."""
    out = []
    for conc, x in r.get("ingest", {}).items():
        if not x["exact"]:
            out.append(f"ingest at {conc} in flight: acknowledged != rows written (or errors)")
    if "open_loop" in r and not r["open_loop"]["exact"]:
        out.append("open loop: acknowledged != rows written (or errors)")
    if "replay_storm" in r and not r["replay_storm"]["exact"]:
        out.append("replay storm: rows != new acknowledged ids (or errors)")
    for name, c in r.get("claims", {}).items():
        # NOT_FOUND (5) only says the queues ran dry.
        failed = [{k: v for k, v in e.items() if k != "5"} for e in c["errors"]]
        if c["double_claims"] or not c["claimed_equals_assigned"] or any(failed):
            out.append(f"claims ({name}): {c['double_claims']} double claims, "
                       f"errors {c['errors']}, claimed = assigned: {c['claimed_equals_assigned']}")
    for name, x in list(r.get("reports", {}).items()) + list(r.get("reports_tail", {}).items()):
        if not x["identical"]:
            out.append(f"report {name} differs from plain SQL")
    if "fold_alone" in r and not r["fold_alone"]["all_folded"]:
        out.append("folding alone left facts unfolded")
    return out


if __name__ == "__main__":
    main()
