#pragma once

#include <functional>
#include <memory>
#include <string>

#include <grpcpp/security/credentials.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "feedback/v1/feedback_service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace feedback::clients {

struct ClientOptions {
  std::string address = "127.0.0.1:50051";
  std::string api_key;
  // TLS: the CA bundle that signed the server's certificate (PEM file);
  // with a client certificate and key, mutual TLS. Empty: plaintext.
  std::string tls_ca_file = {};
  std::string tls_cert_file = {};
  std::string tls_key_file = {};
  // Deadline of each attempt.
  absl::Duration deadline = absl::Seconds(5);
  // Attempts per call in total (UNAVAILABLE and RESOURCE_EXHAUSTED are
  // retried; every submit is idempotent, so retrying is safe).
  int max_attempts = 6;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  // Wait (up to the deadline) for the server to become reachable instead of
  // failing at once while it is down, e.g. restarting.
  bool wait_for_ready = false;
};

// One channel to the service with the options above: deadlines, the bearer
// key, keepalive matching the server, TLS, and the retry loop. Thread-safe.
class Connection {
 public:
  explicit Connection(ClientOptions options);

  // Runs `attempt` (one gRPC call on the context it is given, which carries
  // the deadline and key) and, when `retry` is set, runs it again after
  // UNAVAILABLE or RESOURCE_EXHAUSTED with jittered exponential backoff (at
  // least as long as a server's `retry-after-ms` hint), up to max_attempts.
  absl::Status Run(const std::function<grpc::Status(grpc::ClientContext&)>& attempt, bool retry);

  // Typed form: `(stub.*method)(context, request, &response)`.
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Call(Stub& stub,
                                grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                             Response*),
                                const Request& request, bool retry) {
    Response response;
    absl::Status status = Run(
        [&](grpc::ClientContext& context) { return (stub.*method)(&context, request, &response); },
        retry);
    if (!status.ok()) return status;
    return response;
  }

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const ClientOptions& options() const { return options_; }

 private:
  const ClientOptions options_;
  absl::Status credentials_error_;
  std::shared_ptr<grpc::Channel> channel_;
};

// A client of FeedbackService for IVR and checkout integrations. A submit
// without a request_id gets one generated once, and every retry reuses it,
// so a retried submit is stored at most once. Thread-safe.
class FeedbackClient {
 public:
  explicit FeedbackClient(ClientOptions options);

  absl::StatusOr<v1::SubmitRatingResponse> SubmitRating(v1::SubmitRatingRequest request);
  absl::StatusOr<v1::SubmitNpsResponse> SubmitNps(v1::SubmitNpsRequest request);
  absl::StatusOr<v1::SubmitSurveyResponse> SubmitSurvey(v1::SubmitSurveyRequest request);
  absl::StatusOr<v1::SubmitFeedbackBatchResponse> SubmitFeedbackBatch(
      v1::SubmitFeedbackBatchRequest request);

  // The server's overall health status (one attempt, no key needed).
  absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus> Health();
  // Follows the server's overall health (grpc.health.v1 Watch, no
  // deadline): calls `on_status` with the status at once and then with each
  // change, until the stream ends (the server went away or shut down),
  // whose status it returns.
  absl::Status WatchHealth(
      const std::function<void(grpc::health::v1::HealthCheckResponse::ServingStatus)>& on_status);

 private:
  Connection connection_;
  std::unique_ptr<v1::FeedbackService::Stub> stub_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

// A random request id ("req_" + 32 hex digits).
std::string NewRequestId();

// The channel credentials `options` ask for (plaintext when no CA is given).
// INVALID_ARGUMENT naming the option for an unreadable file.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(
    const ClientOptions& options);

}  // namespace feedback::clients
