#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "domain/clock.h"
#include "domain/complaint.h"
#include "services/common/authenticator.h"
#include "storage/batch_writer.h"

namespace grpc {
class Server;
}

namespace feedback::services {

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";
  // Transport: TLS with this PEM certificate chain and key; with a client
  // CA, mutual TLS (clients must present a certificate it signed).
  // Plaintext only when `insecure` is set explicitly.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string client_ca_file;
  bool insecure = false;
  // A separate plaintext address serving only the health service (for
  // Kubernetes probes when mTLS is on); empty: none.
  std::string health_listen;
  std::string database_url;
  int pool_size = 8;
  absl::Duration pool_acquire_timeout = absl::Seconds(2);
  int max_message_bytes = 1 << 20;
  storage::BatchWriterOptions writer;
  // Threads for API-key lookups that miss the in-memory cache.
  int auth_threads = 2;
  absl::Duration key_cache_ttl = absl::Seconds(1);
  // Per-API-key call rate limit (off by default).
  RateLimit rate_limit;
  // How often the database is probed for the health status, and how soon
  // it must answer (a frozen database counts as down after this long).
  absl::Duration health_interval = absl::Seconds(1);
  absl::Duration health_timeout = absl::Seconds(1);
  // How long in-flight calls may take to finish after SIGTERM.
  absl::Duration drain_timeout = absl::Seconds(20);
  // Idempotency records are kept this long (the contract promises >= 24 h).
  absl::Duration idempotency_retention = absl::Hours(24 * 7);
  // Threads for complaint calls (database work off gRPC's threads).
  int db_threads = 4;
  // Concurrent ClaimNextComplaint calls served together (two threads, each
  // claiming for up to 64 agents in one transaction).
  storage::BatchQueueOptions claims{.capacity = 5000, .max_batch = 64, .threads = 2};
  // How often the SLA worker looks for breaches and complaints to close.
  absl::Duration sla_interval = absl::Seconds(5);
  // RESOLVED complaints close by themselves after this long.
  absl::Duration auto_close_after = absl::Hours(24 * 7);
  // Free-text feedback comments older than this (by received time) are
  // blanked by a background worker; zero: kept.
  absl::Duration comment_retention = absl::ZeroDuration();
  // How often that worker looks.
  absl::Duration retention_interval = absl::Minutes(10);
  // The fold of the facts into the report tables (storage/fold/): how
  // often the folder looks for a new window when it has caught up, and
  // how many fact rows a window holds at most. With `fold` off this server
  // folds nothing (another replica may); reports stay exact either way.
  bool fold = true;
  absl::Duration fold_interval = absl::Milliseconds(200);
  int64_t fold_window = 20000;
  // A warning is logged while the fold lags more than this.
  absl::Duration fold_lag_warning = absl::Seconds(10);
  // Which scores open a follow-up complaint.
  domain::ClosedLoopRule closed_loop;
  // The clock of the SLA worker and of complaint calls; nullptr: the wall clock.
  const domain::Clock* clock = nullptr;
};

// The feedbackd server: gRPC services, health, reflection, the write path
// and its background work, on one PostgreSQL database. Starts NOT_SERVING
// and turns SERVING once the database answers and its migrations are
// current; goes back to NOT_SERVING whenever the database is lost.
class FeedbackServer {
 public:
  // Binds and starts. FAILED_PRECONDITION when an applied migration was
  // edited; INVALID_ARGUMENT when the listen address cannot be bound, or
  // for missing/unreadable TLS files (or no TLS without `insecure`). An
  // unreachable database is not an error: the server waits for it.
  static absl::StatusOr<std::unique_ptr<FeedbackServer>> Start(const ServerOptions& options);
  ~FeedbackServer();

  // The bound port (useful with "127.0.0.1:0").
  int port() const { return port_; }
  int health_port() const { return health_port_; }

  // Whether the health service currently reports SERVING.
  bool serving() const;

  // Reports NOT_SERVING, stops accepting calls, lets in-flight calls finish
  // (up to drain_timeout), writes what is queued and stops. Idempotent.
  void Shutdown();

 private:
  struct Parts;
  explicit FeedbackServer(const ServerOptions& options);
  void MonitorLoop();
  void SlaLoop();
  void FoldLoop();

  const ServerOptions options_;
  std::unique_ptr<Parts> parts_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> health_server_;  // optional plaintext health port
  int port_ = 0;
  int health_port_ = 0;
  absl::Notification stop_monitor_;
  std::thread monitor_;
  std::thread sla_worker_;
  std::thread folder_;
  bool shut_down_ = false;
};

}  // namespace feedback::services
