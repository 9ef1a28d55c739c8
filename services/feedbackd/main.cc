// feedbackd: the feedback and complaint service.
//
//   feedbackd serve            run the gRPC server
//   feedbackd migrate          apply pending database migrations
//   feedbackd create-api-key   create an API key and print it once
//   feedbackd rollups check|rebuild|status|add-zone   the report tables the
//                              folder keeps (storage/fold/)
//
// Every setting is a flag with an environment fallback; see --help.

#include <signal.h>

#include <cstdlib>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "domain/api_keys.h"
#include "migrations/embedded_migrations.h"
#include "services/feedbackd/feedback_server.h"
#include "services/feedbackd/logging.h"
#include "spdlog/spdlog.h"
#include "storage/api_key_store.h"
#include "storage/connection_pool.h"
#include "storage/migrator.h"
#include "storage/fold/folder.h"
#include "storage/fold/registry.h"

namespace {

using feedback::services::ServerOptions;

int Fail(const absl::Status& status) {
  spdlog::error("{}", status.ToString());
  return status.code() == absl::StatusCode::kUnavailable ? 3 : 1;
}

int Serve(const ServerOptions& options) {
  // Handle SIGTERM/SIGINT on this thread only: block them before any other
  // thread starts, then wait for one.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = feedback::services::FeedbackServer::Start(options);
  if (!server.ok()) return Fail(server.status());
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("received signal {}", signal_number);
  (*server)->Shutdown();
  return 0;
}

int Migrate(const ServerOptions& options) {
  feedback::storage::ConnectionPool pool({options.database_url, 1, absl::Seconds(10)});
  feedback::storage::Migrator migrator(pool, feedback::migrations::Embedded());
  absl::StatusOr<int> applied = migrator.Apply();
  if (!applied.ok()) return Fail(applied.status());
  spdlog::info("migrations current ({} applied now)", *applied);
  // What the migrations left unfolded (after 0018: the whole history) is
  // folded now rather than by the first server.
  feedback::storage::fold::Folder folder(pool, options.fold_window);
  const absl::Time start = absl::Now();
  absl::StatusOr<int64_t> folded = folder.CatchUp();
  if (!folded.ok()) return Fail(folded.status());
  if (*folded > 0) {
    spdlog::info("folded {} fact rows into the report tables in {:.1f} s", *folded,
                 absl::ToDoubleSeconds(absl::Now() - start));
  }
  return 0;
}

int Rollups(const ServerOptions& options, const std::string& action, const std::string& zone) {
  feedback::storage::ConnectionPool pool({options.database_url, 1, absl::Seconds(10)});
  feedback::storage::fold::Folder folder(pool, options.fold_window);
  if (action == "add-zone") {
    absl::StatusOr<bool> added = folder.AddReportZone(zone);
    if (!added.ok()) return Fail(added.status());
    if (*added) {
      spdlog::info("report zone {} added; its daily tables are filled", zone);
    } else {
      spdlog::info("{} is a report zone already", zone);
    }
    return 0;
  }
  if (action == "rebuild") {
    absl::StatusOr<int64_t> rows = folder.Rebuild();
    if (!rows.ok()) return Fail(rows.status());
    spdlog::info("report tables recounted from the facts: {} rows", *rows);
    return 0;
  }
  if (action == "status") {
    absl::StatusOr<feedback::storage::fold::FoldStatus> s = folder.Status();
    if (!s.ok()) return Fail(s.status());
    std::cout << "watermark              " << s->watermark << "\n"
              << "horizon                " << s->horizon << "\n"
              << "facts not folded       " << s->tail_facts << "\n"
              << "lag seconds            " << s->lag_seconds << "\n"
              << "oldest writer seconds  " << s->oldest_writer_seconds << "\n"
              << "last fold              " << absl::FormatTime(s->folded_at) << "\n"
              << "facts folded           " << s->facts_folded << "\n"
              << "derived tables:\n";
    for (const auto& t : feedback::storage::fold::Registry()) {
      std::cout << "  " << t.name << ": " << t.read_by << "\n";
    }
    return 0;
  }
  absl::StatusOr<std::map<std::string, int64_t>> differing = folder.Check();
  if (!differing.ok()) return Fail(differing.status());
  if (!differing->empty()) {
    for (const auto& [table, rows] : *differing) {
      spdlog::error("{}: {} row(s) differ from a recount of the facts", table, rows);
    }
    spdlog::error("run `feedbackd rollups rebuild`");
    return 4;
  }
  spdlog::info("report tables match a recount of the facts");
  return 0;
}

int CreateApiKey(const ServerOptions& options, const std::string& name,
                 const std::string& role_name, const std::string& queues) {
  const std::optional<feedback::domain::Role> role = feedback::domain::ParseRole(role_name);
  if (!role) {
    return Fail(absl::InvalidArgumentError(
        "role: must be one of ingest, agent, supervisor, manager, admin"));
  }
  std::vector<std::string> queue_list;
  if (!queues.empty()) queue_list = absl::StrSplit(queues, ',');
  feedback::storage::ConnectionPool pool({options.database_url, 1, absl::Seconds(10)});
  feedback::storage::ApiKeyStore keys(pool);
  absl::StatusOr<feedback::storage::CreatedApiKey> created =
      keys.Create(name, *role, queue_list, "feedbackd create-api-key");
  if (!created.ok()) return Fail(created.status());
  std::cout << created->key << std::endl;  // alone on stdout, for scripts
  spdlog::info("created API key {} ({}) with role {}", created->id,
               feedback::domain::ApiKeyPrefix(created->key), role_name);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A peer that goes away mid-write must cost an error code, not the process.
  signal(SIGPIPE, SIG_IGN);
#ifdef NDEBUG
  // Abseil's mutex deadlock detection (on in Debian's build of Abseil)
  // records every lock acquisition in a graph: a debugging aid that took
  // about 3% of the server's CPU under ingest load. Debug builds keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  CLI::App app{"feedbackd: customer feedback and complaint service"};
  app.require_subcommand(1);
  app.fallthrough();

  ServerOptions options;
  std::string log_format = "text";
  std::string log_level = "info";
  int health_interval_ms = 1000;
  int drain_timeout_s = 20;
  int key_cache_ttl_ms = 1000;
  app.add_option("--database_url", options.database_url,
                 "PostgreSQL connection string or postgresql:// URL")
      ->envname("FEEDBACK_DATABASE_URL")
      ->required();
  app.add_option("--log_format", log_format, "text or json")
      ->envname("FEEDBACK_LOG_FORMAT")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--log_level", log_level, "trace, debug, info, warn, error")
      ->envname("FEEDBACK_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));

  CLI::App* serve = app.add_subcommand("serve", "Run the gRPC server");
  serve->add_option("--listen", options.listen, "Address to listen on (host:port)")
      ->envname("FEEDBACK_LISTEN")
      ->capture_default_str();
  serve->add_option("--tls_cert", options.tls_cert_file, "PEM certificate chain for TLS")
      ->envname("FEEDBACK_TLS_CERT");
  serve->add_option("--tls_key", options.tls_key_file, "PEM private key for TLS")
      ->envname("FEEDBACK_TLS_KEY");
  serve->add_option("--client_ca", options.client_ca_file,
                    "PEM CA bundle: require and verify client certificates (mutual TLS)")
      ->envname("FEEDBACK_CLIENT_CA");
  serve->add_flag("--insecure", options.insecure,
                  "Serve plaintext (only on trusted networks, e.g. 127.0.0.1 in development)")
      ->envname("FEEDBACK_INSECURE");
  serve->add_option("--health_listen", options.health_listen,
                    "Extra plaintext address serving only grpc.health.v1 (probes under mTLS)")
      ->envname("FEEDBACK_HEALTH_LISTEN");
  serve->add_option("--pool_size", options.pool_size, "Database connections at most")
      ->envname("FEEDBACK_POOL_SIZE")
      ->check(CLI::Range(2, 512))
      ->capture_default_str();
  serve->add_option("--max_message_bytes", options.max_message_bytes,
                    "Largest request or response message")
      ->envname("FEEDBACK_MAX_MESSAGE_BYTES")
      ->check(CLI::Range(64 << 10, 64 << 20))
      ->capture_default_str();
  serve->add_option("--write_queue", options.writer.capacity,
                    "Submissions waiting to be written at most; beyond: RESOURCE_EXHAUSTED")
      ->envname("FEEDBACK_WRITE_QUEUE")
      ->check(CLI::Range(1000, 10000000))
      ->capture_default_str();
  serve->add_option("--write_batch", options.writer.max_batch,
                    "Submissions per database transaction at most")
      ->envname("FEEDBACK_WRITE_BATCH")
      ->check(CLI::Range(1, 5000))
      ->capture_default_str();
  serve->add_option("--writer_threads", options.writer.threads, "Batch writer threads")
      ->envname("FEEDBACK_WRITER_THREADS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  serve->add_option("--claim_batch", options.claims.max_batch,
                    "ClaimNextComplaint calls served by one database transaction at most")
      ->envname("FEEDBACK_CLAIM_BATCH")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  serve->add_option("--claim_threads", options.claims.threads,
                    "Threads serving ClaimNextComplaint calls (each holds a database connection)")
      ->envname("FEEDBACK_CLAIM_THREADS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  serve->add_option("--health_interval_ms", health_interval_ms,
                    "How often the database is probed for health")
      ->envname("FEEDBACK_HEALTH_INTERVAL_MS")
      ->check(CLI::Range(100, 60000))
      ->capture_default_str();
  serve->add_option("--drain_timeout_s", drain_timeout_s,
                    "Seconds in-flight calls may take to finish on SIGTERM")
      ->envname("FEEDBACK_DRAIN_TIMEOUT_S")
      ->check(CLI::Range(0, 600))
      ->capture_default_str();
  serve->add_option("--key_cache_ttl_ms", key_cache_ttl_ms,
                    "How long a confirmed API key is trusted without asking the database")
      ->envname("FEEDBACK_KEY_CACHE_TTL_MS")
      ->check(CLI::Range(0, 60000))
      ->capture_default_str();

  int auto_close_days = 7;
  int sla_interval_ms = 5000;
  serve->add_option("--db_threads", options.db_threads,
                    "Threads for complaint calls (each may hold a database connection)")
      ->envname("FEEDBACK_DB_THREADS")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  serve->add_option("--sla_interval_ms", sla_interval_ms,
                    "How often SLA breaches are marked and resolved complaints closed")
      ->envname("FEEDBACK_SLA_INTERVAL_MS")
      ->check(CLI::Range(100, 3600000))
      ->capture_default_str();
  serve->add_option("--auto_close_days", auto_close_days,
                    "Days after which a RESOLVED complaint closes by itself")
      ->envname("FEEDBACK_AUTO_CLOSE_DAYS")
      ->check(CLI::Range(1, 365))
      ->capture_default_str();
  serve->add_option("--closed_loop_csat_max", options.closed_loop.csat_max,
                    "A CSAT score at or below this opens a follow-up complaint (0: never)")
      ->envname("FEEDBACK_CLOSED_LOOP_CSAT_MAX")
      ->check(CLI::Range(0, 5))
      ->capture_default_str();
  serve->add_option("--closed_loop_nps_max", options.closed_loop.nps_max,
                    "An NPS score at or below this opens a follow-up complaint (-1: never)")
      ->envname("FEEDBACK_CLOSED_LOOP_NPS_MAX")
      ->check(CLI::Range(-1, 10))
      ->capture_default_str();

  int comment_retention_days = 0;
  serve->add_option("--comment_retention_days", comment_retention_days,
                    "Blank free-text feedback comments older than this many days (0: keep)")
      ->envname("FEEDBACK_COMMENT_RETENTION_DAYS")
      ->check(CLI::Range(0, 36500))
      ->capture_default_str();
  serve->add_option("--rate_limit_per_key", options.rate_limit.calls_per_second,
                    "Calls per second each API key may make (0: unlimited)")
      ->envname("FEEDBACK_RATE_LIMIT_PER_KEY")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  serve->add_option("--rate_limit_burst", options.rate_limit.burst,
                    "Calls a key may make at once after a quiet spell (0: one second's worth)")
      ->envname("FEEDBACK_RATE_LIMIT_BURST")
      ->check(CLI::Range(0.0, 1e7))
      ->capture_default_str();

  int fold_interval_ms = 200;
  serve->add_flag("--fold,!--no_fold", options.fold,
                  "Fold the facts into the report tables (one server at a time does)")
      ->envname("FEEDBACK_FOLD")
      ->capture_default_str();
  serve->add_option("--fold_interval_ms", fold_interval_ms,
                    "How often the folder looks for new facts once caught up")
      ->envname("FEEDBACK_FOLD_INTERVAL_MS")
      ->check(CLI::Range(10, 60000))
      ->capture_default_str();
  serve->add_option("--fold_window", options.fold_window,
                    "Fact rows folded in one transaction at most")
      ->envname("FEEDBACK_FOLD_WINDOW")
      ->check(CLI::Range(100, 10000000))
      ->capture_default_str();

  app.add_subcommand("migrate", "Apply pending database migrations (safe to run concurrently)");

  CLI::App* rollups = app.add_subcommand(
      "rollups", "Check the report tables against a recount of the facts (exit 4 when "
                 "they differ), rebuild them, show the fold's lag, or add a report zone "
                 "(daily tables in that zone)");
  std::string rollup_action = "check", rollup_zone;
  rollups->add_option("action", rollup_action, "check, rebuild, status or add-zone")
      ->check(CLI::IsMember({"check", "rebuild", "status", "add-zone"}))
      ->capture_default_str();
  rollups->add_option("zone", rollup_zone, "IANA zone (add-zone)");

  CLI::App* create_key = app.add_subcommand(
      "create-api-key", "Create an API key; prints the key alone on stdout, once");
  std::string key_name, key_role, key_queues;
  create_key->add_option("--name", key_name, "Who or what uses the key")->required();
  create_key->add_option("--role", key_role, "ingest, agent, supervisor, manager or admin")
      ->required();
  create_key->add_option("--queues", key_queues, "Comma-separated queues (agents)");

  CLI11_PARSE(app, argc, argv);
  if (!feedback::services::ConfigureLogging(log_format, log_level)) {
    std::cerr << "error: --log_format/--log_level not understood\n";
    return 2;
  }
  // Give up on an unreachable database after a few seconds, not minutes.
  setenv("PGCONNECT_TIMEOUT", "3", /*overwrite=*/0);
  options.health_interval = absl::Milliseconds(health_interval_ms);
  options.drain_timeout = absl::Seconds(drain_timeout_s);
  options.key_cache_ttl = absl::Milliseconds(key_cache_ttl_ms);
  options.sla_interval = absl::Milliseconds(sla_interval_ms);
  options.fold_interval = absl::Milliseconds(fold_interval_ms);
  options.auto_close_after = absl::Hours(24 * auto_close_days);
  options.comment_retention =
      comment_retention_days > 0 ? absl::Hours(24) * comment_retention_days : absl::ZeroDuration();

  if (serve->parsed()) return Serve(options);
  if (app.got_subcommand("migrate")) return Migrate(options);
  if (rollups->parsed()) {
    if (rollup_action == "add-zone" && rollup_zone.empty()) {
      std::cerr << "error: zone: give the IANA zone to add, e.g. Europe/Warsaw\n";
      return 2;
    }
    return Rollups(options, rollup_action, rollup_zone);
  }
  return CreateApiKey(options, key_name, key_role, key_queues);
}
