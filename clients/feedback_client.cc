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

FeedbackClient::FeedbackClient(ClientOptions options) : options_(std::move(options)) {
  grpc::ChannelArguments args;
  // Matches the server: pings every 30 s keep NATs and balancers open.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      ChannelCredentialsFor(options_);
  // Unreadable TLS files fail every call with their message, never silently
  // fall back to plaintext.
  credentials_error_ = credentials.status();
  channel_ = grpc::CreateCustomChannel(
      options_.address,
      credentials.ok() ? *credentials : grpc::InsecureChannelCredentials(), args);
  stub_ = v1::FeedbackService::NewStub(channel_);
  health_ = grpc::health::v1::Health::NewStub(channel_);
}

template <typename Request, typename Response, typename Method>
absl::StatusOr<Response> FeedbackClient::Call(const Request& request, Method method) {
  if (!credentials_error_.ok()) return credentials_error_;
  absl::Duration backoff = options_.initial_backoff;
  grpc::Status status;
  for (int attempt = 1;; ++attempt) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoMilliseconds(options_.deadline));
    context.AddMetadata("authorization", absl::StrCat("Bearer ", options_.api_key));
    Response response;
    status = (stub_.get()->*method)(&context, request, &response);
    if (status.ok()) return response;
    if (!Retryable(status.error_code()) || attempt >= options_.max_attempts) break;
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

absl::StatusOr<v1::SubmitRatingResponse> FeedbackClient::SubmitRating(
    v1::SubmitRatingRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return Call<v1::SubmitRatingRequest, v1::SubmitRatingResponse>(
      request, &v1::FeedbackService::Stub::SubmitRating);
}

absl::StatusOr<v1::SubmitNpsResponse> FeedbackClient::SubmitNps(v1::SubmitNpsRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return Call<v1::SubmitNpsRequest, v1::SubmitNpsResponse>(
      request, &v1::FeedbackService::Stub::SubmitNps);
}

absl::StatusOr<v1::SubmitSurveyResponse> FeedbackClient::SubmitSurvey(
    v1::SubmitSurveyRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return Call<v1::SubmitSurveyRequest, v1::SubmitSurveyResponse>(
      request, &v1::FeedbackService::Stub::SubmitSurvey);
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
  return Call<v1::SubmitFeedbackBatchRequest, v1::SubmitFeedbackBatchResponse>(
      request, &v1::FeedbackService::Stub::SubmitFeedbackBatch);
}

absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus> FeedbackClient::Health() {
  if (!credentials_error_.ok()) return credentials_error_;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(options_.deadline));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = health_->Check(&context, request, &response);
  if (!status.ok()) return FromGrpc(status);
  return response.status();
}

}  // namespace feedback::clients
