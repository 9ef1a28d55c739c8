// feedbackctl: the command line for the feedback service.
//
//   feedbackctl rate --channel ivr --score 5 --interaction_id call-42
//   feedbackctl nps --channel web --score 9
//   feedbackctl survey --channel checkout --csat 4 --nps 8 --interaction_id order-7
//   feedbackctl health
//
// Connection: --addr / FEEDBACK_ADDR, --api_key / FEEDBACK_API_KEY.
// Exit codes: 0 success, 1 the server refused the request, 2 bad usage,
// 3 the service is unavailable (safe to retry).

#include <iostream>
#include <map>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "clients/feedback_client.h"
#include "google/protobuf/util/json_util.h"

namespace {

using namespace feedback;  // NOLINT: a small tool

const std::map<std::string, v1::Channel> kChannels = {
    {"ivr", v1::CHANNEL_IVR},     {"checkout", v1::CHANNEL_CHECKOUT},
    {"web", v1::CHANNEL_WEB},     {"email", v1::CHANNEL_EMAIL},
    {"chat", v1::CHANNEL_CHAT},   {"agent", v1::CHANNEL_AGENT}};

// Fields common to rating, NPS and survey submits.
struct Common {
  std::string request_id, channel, customer_id, phone, email, name, interaction_id, agent_id,
      queue, comment, occurred_at;
  std::vector<std::string> attributes;

  void AddTo(CLI::App& cmd) {
    cmd.add_option("--request_id", request_id,
                   "Idempotency key (generated when omitted; retries reuse it)");
    cmd.add_option("--channel", channel, "ivr, checkout, web, email, chat or agent")
        ->required()
        ->check(CLI::IsMember({"ivr", "checkout", "web", "email", "chat", "agent"}));
    cmd.add_option("--customer_id", customer_id, "Customer id (omit for anonymous)");
    cmd.add_option("--phone", phone, "Customer phone");
    cmd.add_option("--email", email, "Customer email");
    cmd.add_option("--name", name, "Customer display name");
    cmd.add_option("--interaction_id", interaction_id, "Call id or order id");
    cmd.add_option("--agent_id", agent_id, "Agent who handled the interaction");
    cmd.add_option("--queue", queue, "Queue the interaction came through");
    cmd.add_option("--comment", comment, "Free-text comment");
    cmd.add_option("--occurred_at", occurred_at, "RFC 3339 time (default: now)");
    cmd.add_option("--attribute", attributes, "key=value (repeatable)");
  }

  template <typename Request>
  bool Fill(Request& r) const {
    r.set_request_id(request_id);
    r.set_channel(kChannels.at(channel));
    r.mutable_customer()->set_customer_id(customer_id);
    r.mutable_customer()->set_phone(phone);
    r.mutable_customer()->set_email(email);
    r.mutable_customer()->set_display_name(name);
    r.set_interaction_id(interaction_id);
    r.set_agent_id(agent_id);
    r.set_queue(queue);
    r.set_comment(comment);
    for (const std::string& kv : attributes) {
      std::pair<std::string, std::string> parts = absl::StrSplit(kv, absl::MaxSplits('=', 1));
      (*r.mutable_attributes())[parts.first] = parts.second;
    }
    if (!occurred_at.empty()) {
      absl::Time t;
      std::string err;
      if (!absl::ParseTime(absl::RFC3339_full, occurred_at, &t, &err)) {
        std::cerr << "error: --occurred_at: not an RFC 3339 time\n";
        return false;
      }
      r.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(t));
      r.mutable_occurred_at()->set_nanos(
          static_cast<int>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(absl::ToUnixSeconds(t)))));
    }
    return true;
  }
};

int ExitCode(const absl::Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ? 3 : 1;
}

template <typename Message>
int Print(const absl::StatusOr<Message>& result, const std::string& output) {
  if (!result.ok()) return ExitCode(result.status());
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = output == "json";
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(*result, &text, options);
  std::cout << text << (output == "json" ? "" : "\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"feedbackctl: command line for the feedback service"};
  app.require_subcommand(1);
  app.fallthrough();
  clients::ClientOptions options;
  std::string output = "json";
  int deadline_ms = 5000;
  app.add_option("--addr", options.address, "Server address host:port")
      ->envname("FEEDBACK_ADDR")
      ->capture_default_str();
  app.add_option("--api_key", options.api_key, "API key")->envname("FEEDBACK_API_KEY");
  app.add_option("--tls_ca", options.tls_ca_file, "CA bundle of the server (PEM): use TLS")
      ->envname("FEEDBACK_TLS_CA");
  app.add_option("--tls_cert", options.tls_cert_file, "Client certificate (PEM) for mutual TLS")
      ->envname("FEEDBACK_TLS_CERT");
  app.add_option("--tls_key", options.tls_key_file, "Client key (PEM) for mutual TLS")
      ->envname("FEEDBACK_TLS_KEY");
  app.add_option("--deadline_ms", deadline_ms, "Deadline of each attempt")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();
  app.add_option("--output", output, "json (pretty) or compact (one line)")
      ->check(CLI::IsMember({"json", "compact"}))
      ->capture_default_str();

  CLI::App* rate = app.add_subcommand("rate", "Submit a CSAT rating (1-5)");
  Common rate_common;
  rate_common.AddTo(*rate);
  int rate_score = 0;
  std::string complaint_id;
  rate->add_option("--score", rate_score, "1-5")->required();
  rate->add_option("--complaint_id", complaint_id, "Complaint whose handling is rated");

  CLI::App* nps = app.add_subcommand("nps", "Submit an NPS answer (0-10)");
  Common nps_common;
  nps_common.AddTo(*nps);
  int nps_score = 0;
  nps->add_option("--score", nps_score, "0-10")->required();

  CLI::App* survey = app.add_subcommand("survey", "Submit a checkout survey");
  Common survey_common;
  survey_common.AddTo(*survey);
  std::optional<int> survey_csat, survey_nps;
  survey->add_option("--csat", survey_csat, "CSAT score 1-5");
  survey->add_option("--nps", survey_nps, "NPS score 0-10");

  CLI::App* health = app.add_subcommand("health", "Print the server's health status");

  CLI11_PARSE(app, argc, argv);
  options.deadline = absl::Milliseconds(deadline_ms);

  if (health->parsed()) {
    options.max_attempts = 1;
    clients::FeedbackClient client(options);
    absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus> status =
        client.Health();
    if (!status.ok()) return ExitCode(status.status());
    std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(*status) << "\n";
    return *status == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 3;
  }
  clients::FeedbackClient client(options);
  if (rate->parsed()) {
    v1::SubmitRatingRequest r;
    if (!rate_common.Fill(r)) return 2;
    r.set_score(rate_score);
    r.set_complaint_id(complaint_id);
    return Print(client.SubmitRating(r), output);
  }
  if (nps->parsed()) {
    v1::SubmitNpsRequest r;
    if (!nps_common.Fill(r)) return 2;
    r.set_score(nps_score);
    return Print(client.SubmitNps(r), output);
  }
  v1::SubmitSurveyRequest r;
  if (!survey_common.Fill(r)) return 2;
  if (survey_csat) r.set_csat_score(*survey_csat);
  if (survey_nps) r.set_nps_score(*survey_nps);
  return Print(client.SubmitSurvey(r), output);
}
