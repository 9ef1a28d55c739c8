#pragma once

#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace feedback::services {

// grpc.health.v1.Health for the server as a whole ("") and each of its
// services by full name. Unlike gRPC's default health service, Shutdown()
// also ends the Watch streams (after pushing NOT_SERVING), so a client
// watching health does not hold the server's drain open. Thread-safe.
class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  explicit HealthService(std::set<std::string> services);
  ~HealthService() override;

  // SERVING or NOT_SERVING, pushed to every watcher; ignored after Shutdown.
  void SetServing(bool serving);
  // NOT_SERVING for good; pushed to every watcher, whose stream then ends.
  void Shutdown();

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) override;
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request) override;

  class Watcher;

 private:
  friend class Watcher;
  void Remove(Watcher* watcher);

  const std::set<std::string> services_;
  absl::Mutex mu_;
  bool serving_ ABSL_GUARDED_BY(mu_) = false;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  std::set<Watcher*> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace feedback::services
