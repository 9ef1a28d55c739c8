#include "clients/feedback_client.h"

#include <grpcpp/grpcpp.h>

#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace feedback::clients {
namespace {

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::RESOURCE_EXHAUSTED;
}

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

}  // namespace

std::string NewRequestId() {
  return absl::StrCat("req_", absl::Hex(Rng()(), absl::kZeroPad16),
                      absl::Hex(Rng()(), absl::kZeroPad16));
}

namespace {

absl::StatusOr<std::string> ReadFile(const char* option, const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  if (!in || content.str().empty()) {
    return absl::InvalidArgumentError(std::string(option) + ": cannot read " + path);
  }
  return content.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(
    const ClientOptions& options) {
  if (options.tls_ca_file.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  absl::StatusOr<std::string> ca = ReadFile("tls_ca", options.tls_ca_file);
  if (!ca.ok()) return ca.status();
  ssl.pem_root_certs = *ca;
  if (!options.tls_cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadFile("tls_cert", options.tls_cert_file);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadFile("tls_key", options.tls_key_file);
    if (!key.ok()) return key.status();
    ssl.pem_cert_chain = *cert;
    ssl.pem_private_key = *key;
  }
  return grpc::SslCredentials(ssl);
}

Connection::Connection(ClientOptions options) : options_(std::move(options)) {
  grpc::ChannelArguments args;
  // Matches the server: pings every 30 s keep NATs and balancers open.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Reports can be large (a year of daily rows per agent).
  args.SetMaxReceiveMessageSize(64 << 20);
  // Reconnect to a restarted server within max_backoff, not gRPC's 2 minutes.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options_.max_backoff)));
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      ChannelCredentialsFor(options_);
  // Unreadable TLS files fail every call with their message, never silently
  // fall back to plaintext.
  credentials_error_ = credentials.status();
  channel_ = grpc::CreateCustomChannel(
      options_.address,
      credentials.ok() ? *credentials : grpc::InsecureChannelCredentials(), args);
}

absl::Status Connection::Run(const std::function<grpc::Status(grpc::ClientContext&)>& attempt,
                             bool retry) {
  if (!credentials_error_.ok()) return credentials_error_;
  absl::Duration backoff = options_.initial_backoff;
  grpc::Status status;
  for (int n = 1;; ++n) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoMilliseconds(options_.deadline));
    context.set_wait_for_ready(options_.wait_for_ready);
    if (!options_.api_key.empty()) {
      context.AddMetadata("authorization", absl::StrCat("Bearer ", options_.api_key));
    }
    status = attempt(context);
    if (status.ok()) return absl::OkStatus();
    if (!retry || !Retryable(status.error_code()) || n >= options_.max_attempts) break;
    // Full jitter: sleep a random part of the current backoff, but at least
    // as long as a rate-limited server asked for.
    std::uniform_int_distribution<int64_t> jitter(0, absl::ToInt64Microseconds(backoff));
    int64_t sleep_us = jitter(Rng());
    const auto& trailers = context.GetServerTrailingMetadata();
    if (auto hint = trailers.find("retry-after-ms"); hint != trailers.end()) {
      int64_t hint_ms = 0;
      if (absl::SimpleAtoi(absl::string_view(hint->second.data(), hint->second.size()),
                           &hint_ms) &&
          hint_ms > 0) {
        sleep_us = std::max(sleep_us, std::min(hint_ms, absl::ToInt64Milliseconds(
                                                            options_.max_backoff)) * 1000);
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  return FromGrpc(status);
}

FeedbackClient::FeedbackClient(ClientOptions options)
    : connection_(std::move(options)),
      stub_(v1::FeedbackService::NewStub(connection_.channel())),
      health_(grpc::health::v1::Health::NewStub(connection_.channel())) {}

absl::StatusOr<v1::SubmitRatingResponse> FeedbackClient::SubmitRating(
    v1::SubmitRatingRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return connection_.Call(*stub_, &v1::FeedbackService::Stub::SubmitRating, request, /*retry=*/true);
}

absl::StatusOr<v1::SubmitNpsResponse> FeedbackClient::SubmitNps(v1::SubmitNpsRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return connection_.Call(*stub_, &v1::FeedbackService::Stub::SubmitNps, request, /*retry=*/true);
}

absl::StatusOr<v1::SubmitSurveyResponse> FeedbackClient::SubmitSurvey(
    v1::SubmitSurveyRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return connection_.Call(*stub_, &v1::FeedbackService::Stub::SubmitSurvey, request, /*retry=*/true);
}

absl::StatusOr<v1::SubmitFeedbackBatchResponse> FeedbackClient::SubmitFeedbackBatch(
    v1::SubmitFeedbackBatchRequest request) {
  for (v1::FeedbackItem& item : *request.mutable_items()) {
    if (item.has_rating() && item.rating().request_id().empty()) {
      item.mutable_rating()->set_request_id(NewRequestId());
    }
    if (item.has_nps() && item.nps().request_id().empty()) {
      item.mutable_nps()->set_request_id(NewRequestId());
    }
  }
  return connection_.Call(*stub_, &v1::FeedbackService::Stub::SubmitFeedbackBatch, request, /*retry=*/true);
}

absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus> FeedbackClient::Health() {
  absl::StatusOr<grpc::health::v1::HealthCheckResponse> response = connection_.Call(
      *health_, &grpc::health::v1::Health::Stub::Check, grpc::health::v1::HealthCheckRequest(),
      /*retry=*/false);
  if (!response.ok()) return response.status();
  return response->status();
}

absl::Status FeedbackClient::WatchHealth(
    const std::function<void(grpc::health::v1::HealthCheckResponse::ServingStatus)>& on_status) {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<grpc::health::v1::HealthCheckResponse>> reader =
      health_->Watch(&context, grpc::health::v1::HealthCheckRequest());
  grpc::health::v1::HealthCheckResponse response;
  while (reader->Read(&response)) on_status(response.status());
  return FromGrpc(reader->Finish());
}

}  // namespace feedback::clients
