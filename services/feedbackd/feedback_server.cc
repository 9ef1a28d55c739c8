#include "services/feedbackd/feedback_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "domain/clock.h"
#include "migrations/embedded_migrations.h"
#include "services/common/authenticator.h"
#include "services/common/worker_pool.h"
#include "services/feedback/feedback_ingestor.h"
#include "services/admin/admin_service.h"
#include "services/complaints/complaint_service.h"
#include "services/complaints/watch_hub.h"
#include "services/feedback/feedback_service.h"
#include "services/feedbackd/health_service.h"
#include "services/reports/reporting_service.h"
#include "storage/fold/folder.h"
#include "storage/report_store.h"
#include "storage/notification_listener.h"
#include "storage/complaint_store.h"
#include "spdlog/spdlog.h"
#include "storage/api_key_store.h"
#include "storage/connection_pool.h"
#include "storage/liveness_probe.h"
#include "storage/migrator.h"
#include "storage/pg_feedback_store.h"

namespace feedback::services {

// Everything the server owns, in construction order (destroyed in reverse).
struct FeedbackServer::Parts {
  explicit Parts(const ServerOptions& o)
      : clock(o.clock != nullptr ? *o.clock : system_clock),
        pool(storage::PoolOptions{o.database_url, o.pool_size, o.pool_acquire_timeout}),
        migrator(pool, migrations::Embedded()),
        keys(pool),
        store(pool, o.closed_loop),
        complaints(pool),
        reports(pool),
        folder(pool, o.fold_window),
        eraser(pool),
        writer(store, o.writer),
        workers(o.auth_threads, 10000),
        db_workers(o.db_threads, 5000),
        claims(complaints, clock, o.claims),
        auth(keys, workers, clock, o.key_cache_ttl, o.rate_limit),
        ingestor(writer, clock),
        feedback_service(auth, ingestor),
        complaint_service(auth, db_workers, complaints, claims, hub, clock),
        reporting_service(auth, db_workers, reports),
        admin_service(auth, db_workers, keys, complaints, eraser),
        listener(o.database_url, complaints,
                 storage::NotificationSinks{
                     [this](const storage::ComplaintEventRecord& e) { hub.Publish(e); },
                     [this] { return hub.HasSubscribers(); },
                     [this](const std::string& hash) { auth.Forget(hash); },
                     [this] { auth.ForgetAll(); }}) {}

  domain::SystemClock system_clock;
  const domain::Clock& clock;
  storage::ConnectionPool pool;
  storage::Migrator migrator;
  storage::ApiKeyStore keys;
  storage::PgFeedbackStore store;
  storage::ComplaintStore complaints;
  storage::ReportStore reports;
  storage::fold::Folder folder;
  storage::CustomerEraser eraser;
  storage::BatchWriter writer;
  WorkerPool workers;
  WorkerPool db_workers;
  ClaimBatcher claims;
  WatchHub hub;
  Authenticator auth;
  FeedbackIngestor ingestor;
  FeedbackServiceImpl feedback_service;
  ComplaintServiceImpl complaint_service;
  ReportingServiceImpl reporting_service;
  AdminServiceImpl admin_service;
  storage::NotificationListener listener;
  // Health of the main port and of the optional plaintext health port.
  HealthService health{ServiceNames()};
  HealthService health_port_health{ServiceNames()};
  std::atomic<bool> serving{false};

  static std::set<std::string> ServiceNames() {
    return {v1::FeedbackService::service_full_name(), v1::ComplaintService::service_full_name(),
            v1::ReportingService::service_full_name(), v1::AdminService::service_full_name()};
  }
};

FeedbackServer::FeedbackServer(const ServerOptions& options)
    : options_(options), parts_(std::make_unique<Parts>(options)) {}

namespace {

constexpr int kMaxResponseBytes = 64 << 20;

absl::StatusOr<std::string> ReadPem(const char* flag, const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  if (!in || content.str().empty()) {
    return absl::InvalidArgumentError(std::string(flag) + ": cannot read " + path);
  }
  return content.str();
}

// The listening credentials the options ask for.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const ServerOptions& o) {
  if (o.tls_cert_file.empty() && o.tls_key_file.empty()) {
    if (!o.client_ca_file.empty()) {
      return absl::InvalidArgumentError("tls_cert: mutual TLS needs --tls_cert and --tls_key");
    }
    if (!o.insecure) {
      return absl::InvalidArgumentError(
          "tls_cert: give --tls_cert and --tls_key, or --insecure to serve plaintext");
    }
    return grpc::InsecureServerCredentials();
  }
  absl::StatusOr<std::string> cert = ReadPem("tls_cert", o.tls_cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem("tls_key", o.tls_key_file);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!o.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadPem("client_ca", o.client_ca_file);
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

absl::StatusOr<std::unique_ptr<FeedbackServer>> FeedbackServer::Start(
    const ServerOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = Credentials(options);
  if (!credentials.ok()) return credentials.status();
  std::unique_ptr<FeedbackServer> server(new FeedbackServer(options));
  absl::Status migrations = server->parts_->migrator.CheckCurrent();
  if (absl::IsFailedPrecondition(migrations)) return migrations;  // an edited migration
  if (!migrations.ok()) {
    spdlog::warn("not serving yet: {}", migrations.ToString());
  }

  grpc::EnableDefaultHealthCheckService(false);  // HealthService instead
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, *credentials, &server->port_);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  // Responses (a year of daily report rows per agent) may be larger than
  // any request needs to be.
  builder.SetMaxSendMessageSize(std::max(options.max_message_bytes, kMaxResponseBytes));
  // Keep idle connections of IVR and checkout clients alive through NATs and
  // load balancers, and accept their keepalive pings.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.RegisterService(&server->parts_->feedback_service);
  builder.RegisterService(&server->parts_->complaint_service);
  builder.RegisterService(&server->parts_->reporting_service);
  builder.RegisterService(&server->parts_->admin_service);
  builder.RegisterService(&server->parts_->health);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen: cannot listen on ", options.listen));
  }
  if (!options.health_listen.empty()) {
    grpc::ServerBuilder health_builder;  // the health service only
    health_builder.RegisterService(&server->parts_->health_port_health);
    health_builder.AddListeningPort(options.health_listen, grpc::InsecureServerCredentials(),
                                    &server->health_port_);
    server->health_server_ = health_builder.BuildAndStart();
    if (server->health_server_ == nullptr || server->health_port_ == 0) {
      return absl::InvalidArgumentError("health_listen: cannot listen on " +
                                        options.health_listen);
    }
  }
  server->monitor_ = std::thread([s = server.get()] { s->MonitorLoop(); });
  server->sla_worker_ = std::thread([s = server.get()] { s->SlaLoop(); });
  if (options.fold) server->folder_ = std::thread([s = server.get()] { s->FoldLoop(); });
  spdlog::info("feedbackd listening on {} (port {})", options.listen, server->port_);
  return server;
}

FeedbackServer::~FeedbackServer() { Shutdown(); }

bool FeedbackServer::serving() const { return parts_->serving.load(); }

void FeedbackServer::MonitorLoop() {
  absl::Time next_prune = absl::Now();
  absl::Time next_retention = absl::Now();
  bool migrations_current = false;
  do {
    // A probe on its own connection with a deadline, so a frozen database
    // turns the health NOT_SERVING instead of freezing this loop; the
    // migrations are checked (on the pool) when the database comes back.
    absl::Status status = storage::ProbeDatabase(options_.database_url, options_.health_timeout);
    if (status.ok() && !migrations_current) {
      status = parts_->migrator.CheckCurrent();
      migrations_current = status.ok();
    }
    if (!status.ok()) migrations_current = false;
    const bool ok = status.ok();
    if (ok != parts_->serving.exchange(ok)) {
      if (ok) {
        spdlog::info("health: SERVING");
      } else {
        spdlog::warn("health: NOT_SERVING: {}", status.ToString());
      }
      parts_->health.SetServing(ok);
      parts_->health_port_health.SetServing(ok);
    }
    if (ok && absl::Now() >= next_prune) {
      absl::StatusOr<int64_t> pruned = parts_->store.PruneIdempotencyRecords(
          absl::Now() - options_.idempotency_retention, 10000);
      if (pruned.ok() && *pruned > 0) spdlog::info("pruned {} idempotency records", *pruned);
      // Keep going while there is a backlog; otherwise look again later.
      next_prune = absl::Now() + (pruned.ok() && *pruned == 10000 ? absl::ZeroDuration()
                                                                   : absl::Minutes(10));
    }
    if (ok && options_.comment_retention > absl::ZeroDuration() &&
        absl::Now() >= next_retention) {
      constexpr int kChunk = 5000;
      absl::StatusOr<int64_t> blanked = parts_->store.BlankCommentsReceivedBefore(
          parts_->clock.Now() - options_.comment_retention, kChunk);
      if (blanked.ok() && *blanked > 0) spdlog::info("retention: blanked {} comment(s)", *blanked);
      if (!blanked.ok()) spdlog::warn("retention: {}", blanked.status().ToString());
      next_retention = absl::Now() + (blanked.ok() && *blanked == kChunk
                                          ? absl::ZeroDuration()
                                          : options_.retention_interval);
    }
  } while (!stop_monitor_.WaitForNotificationWithTimeout(options_.health_interval));
}

void FeedbackServer::SlaLoop() {
  constexpr int kChunk = 500;
  do {
    if (!parts_->serving.load()) continue;
    const absl::Time now = parts_->clock.Now();
    // Chunk after chunk while there is a backlog, but a shutdown waits for
    // one chunk at most.
    auto more = [&](const absl::StatusOr<int>& done) {
      return done.ok() && *done == kChunk && !stop_monitor_.HasBeenNotified();
    };
    absl::StatusOr<int> breached = kChunk;
    while (more(breached)) {
      breached = parts_->complaints.MarkBreaches(now, kChunk);
      if (breached.ok() && *breached > 0) spdlog::info("SLA: {} complaint(s) breached", *breached);
    }
    absl::StatusOr<int> closed = kChunk;
    while (more(closed)) {
      closed = parts_->complaints.AutoClose(now - options_.auto_close_after, now, kChunk);
    }
    if (!breached.ok() || !closed.ok()) {
      spdlog::warn("SLA worker: {}", (!breached.ok() ? breached : closed).status().ToString());
    }
  } while (!stop_monitor_.WaitForNotificationWithTimeout(options_.sla_interval));
}

void FeedbackServer::FoldLoop() {
  absl::Time next_lag_check = absl::Now();
  bool lagging = false;
  do {
    if (!parts_->serving.load()) continue;
    // Window after window while there is a backlog; a shutdown waits for
    // one window at most.
    absl::StatusOr<storage::fold::FoldResult> r;
    do {
      r = parts_->folder.FoldOnce();
    } while (r.ok() && !r->caught_up && !r->locked_out && !stop_monitor_.HasBeenNotified());
    if (!r.ok()) spdlog::warn("fold: {}", r.status().ToString());
    if (absl::Now() < next_lag_check) continue;
    next_lag_check = absl::Now() + absl::Seconds(5);
    absl::StatusOr<storage::fold::FoldStatus> s = parts_->folder.Status();
    if (!s.ok()) continue;
    const bool now_lagging = s->lag_seconds > absl::ToDoubleSeconds(options_.fold_lag_warning);
    if (now_lagging) {
      spdlog::warn("fold: {:.1f} s behind ({} fact rows not folded); the oldest transaction "
                   "holding an xid has run {:.1f} s",
                   s->lag_seconds, s->tail_facts, s->oldest_writer_seconds);
    } else if (lagging) {
      spdlog::info("fold: caught up ({:.1f} s behind)", s->lag_seconds);
    }
    lagging = now_lagging;
  } while (!stop_monitor_.WaitForNotificationWithTimeout(options_.fold_interval));
}

void FeedbackServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (server_ == nullptr) return;  // Start() failed before serving: nothing runs yet
  spdlog::info("shutting down: NOT_SERVING, draining in-flight calls");
  // Health first, so load balancers stop sending at once: the monitor and the
  // SLA worker may be inside a slow database call. A shut down health service
  // ignores the monitor's later status changes and ends its Watch streams,
  // which would otherwise hold the drain open until its timeout.
  parts_->health.Shutdown();
  parts_->health_port_health.Shutdown();
  stop_monitor_.Notify();
  if (monitor_.joinable()) monitor_.join();
  if (sla_worker_.joinable()) sla_worker_.join();
  if (folder_.joinable()) folder_.join();
  parts_->serving = false;
  parts_->hub.CloseAll();
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(options_.drain_timeout));
  parts_->writer.Stop();
  parts_->claims.Stop();
  server_->Wait();
  if (health_server_) {
    health_server_->Shutdown();
    health_server_->Wait();
  }
  spdlog::info("shut down");
}

}  // namespace feedback::services
