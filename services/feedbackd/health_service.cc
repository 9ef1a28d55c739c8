#include "services/feedbackd/health_service.h"

#include <utility>

namespace feedback::services {

using grpc::health::v1::HealthCheckResponse;

// One Watch stream: writes the newest status whenever it changes (a change
// that comes while a write is under way is written after it), and ends the
// stream once told the server is shutting down.
class HealthService::Watcher final : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  // `known`: the watched service name is one of the server's (or "").
  Watcher(HealthService& service, bool known) : service_(service), known_(known) {}

  // Called with the service's lock held. A watcher of an unknown service
  // name sees SERVICE_UNKNOWN whatever the server's status.
  void Push(HealthCheckResponse::ServingStatus status, bool finish) {
    if (!known_) status = HealthCheckResponse::SERVICE_UNKNOWN;
    absl::MutexLock lock(&mu_);
    if (done_writing_) return;
    if (status != latest_) {
      latest_ = status;
      changed_ = true;
    }
    finish_ = finish_ || finish;
    WriteLocked();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      FinishLocked();
      return;
    }
    WriteLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    FinishLocked();
  }

  void OnDone() override {
    service_.Remove(this);
    delete this;
  }

 private:
  void WriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || done_writing_) return;
    if (changed_) {
      changed_ = false;
      message_.set_status(latest_);
      if (finish_) {
        done_writing_ = true;
        StartWriteAndFinish(&message_, grpc::WriteOptions(), grpc::Status::OK);
        return;
      }
      writing_ = true;
      StartWrite(&message_);
      return;
    }
    if (finish_) FinishLocked();
  }

  void FinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (done_writing_) return;
    done_writing_ = true;
    Finish(grpc::Status::OK);
  }

  HealthService& service_;
  const bool known_;
  absl::Mutex mu_;
  HealthCheckResponse message_ ABSL_GUARDED_BY(mu_);
  HealthCheckResponse::ServingStatus latest_ ABSL_GUARDED_BY(mu_) =
      HealthCheckResponse::UNKNOWN;
  bool changed_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_ ABSL_GUARDED_BY(mu_) = false;
  bool done_writing_ ABSL_GUARDED_BY(mu_) = false;
};

HealthService::HealthService(std::set<std::string> services) : services_(std::move(services)) {}

HealthService::~HealthService() = default;

void HealthService::SetServing(bool serving) {
  absl::MutexLock lock(&mu_);
  if (shut_down_ || serving_ == serving) return;
  serving_ = serving;
  const auto status = serving ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
  for (Watcher* w : watchers_) w->Push(status, false);
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  shut_down_ = true;
  serving_ = false;
  for (Watcher* w : watchers_) w->Push(HealthCheckResponse::NOT_SERVING, true);
}

void HealthService::Remove(Watcher* watcher) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(watcher);
}

grpc::ServerUnaryReactor* HealthService::Check(
    grpc::CallbackServerContext* context, const grpc::health::v1::HealthCheckRequest* request,
    HealthCheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!request->service().empty() && services_.count(request->service()) == 0) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "service: unknown"));
    return reactor;
  }
  {
    absl::MutexLock lock(&mu_);
    response->set_status(serving_ ? HealthCheckResponse::SERVING
                                  : HealthCheckResponse::NOT_SERVING);
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerWriteReactor<HealthCheckResponse>* HealthService::Watch(
    grpc::CallbackServerContext* context, const grpc::health::v1::HealthCheckRequest* request) {
  auto* watcher =
      new Watcher(*this, request->service().empty() || services_.count(request->service()) > 0);
  absl::MutexLock lock(&mu_);
  watchers_.insert(watcher);
  watcher->Push(serving_ ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING,
                shut_down_);
  return watcher;
}

}  // namespace feedback::services
