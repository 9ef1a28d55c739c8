// feedbackctl: the command line for the feedback service, covering every
// RPC of the contract.
//
//   feedbackctl rate --channel ivr --score 5 --interaction_id call-42
//   feedbackctl complaint list --queue billing --output csv
//   feedbackctl report satisfaction --from 2026-11-01 --to 2026-12-01 --bucket day
//   feedbackctl report nps --from 2026-11-01 --to 2026-12-01 --output html --file nps.html
//
// Connection: --addr / FEEDBACK_ADDR, --api_key / FEEDBACK_API_KEY, TLS options.
// Output: aligned tables (default), --output csv|json|compact, html for reports.
// Exit codes: 0 success, 1 the server refused the request, 2 bad usage,
// 3 the service is unavailable or timed out (safe to retry).

#include <grpcpp/grpcpp.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/feedback_client.h"
#include "clients/feedbackctl/html_report.h"
#include "clients/feedbackctl/output.h"
#include "clients/service_clients.h"

namespace {

using namespace feedback;  // NOLINT: a small tool
using ctl::Format;

const std::map<std::string, v1::Channel> kChannels = {
    {"ivr", v1::CHANNEL_IVR},   {"checkout", v1::CHANNEL_CHECKOUT}, {"web", v1::CHANNEL_WEB},
    {"email", v1::CHANNEL_EMAIL}, {"chat", v1::CHANNEL_CHAT},       {"agent", v1::CHANNEL_AGENT}};
const std::map<std::string, v1::Priority> kPriorities = {
    {"low", v1::PRIORITY_LOW}, {"normal", v1::PRIORITY_NORMAL}, {"high", v1::PRIORITY_HIGH},
    {"urgent", v1::PRIORITY_URGENT}};
const std::map<std::string, v1::ComplaintStatus> kStatuses = {
    {"new", v1::COMPLAINT_STATUS_NEW},
    {"in_progress", v1::COMPLAINT_STATUS_IN_PROGRESS},
    {"waiting_on_customer", v1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER},
    {"resolved", v1::COMPLAINT_STATUS_RESOLVED},
    {"closed", v1::COMPLAINT_STATUS_CLOSED}};
const std::map<std::string, v1::FollowUpKind> kFollowUpKinds = {
    {"callback", v1::FOLLOW_UP_KIND_CALLBACK}, {"email", v1::FOLLOW_UP_KIND_EMAIL},
    {"survey", v1::FOLLOW_UP_KIND_SURVEY}};
const std::map<std::string, v1::Role> kRoles = {
    {"ingest", v1::ROLE_INGEST}, {"agent", v1::ROLE_AGENT}, {"supervisor", v1::ROLE_SUPERVISOR},
    {"manager", v1::ROLE_MANAGER}, {"admin", v1::ROLE_ADMIN}};
const std::map<std::string, v1::Bucket> kBuckets = {
    {"none", v1::BUCKET_NONE}, {"day", v1::BUCKET_DAY}, {"week", v1::BUCKET_WEEK},
    {"month", v1::BUCKET_MONTH}};
const std::map<std::string, v1::Dimension> kDimensions = {
    {"channel", v1::DIMENSION_CHANNEL}, {"agent", v1::DIMENSION_AGENT},
    {"queue", v1::DIMENSION_QUEUE}, {"category", v1::DIMENSION_CATEGORY}};

template <typename Map>
std::vector<std::string> Keys(const Map& map) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : map) keys.push_back(k);
  return keys;
}

// Thrown for bad command-line values found after parsing: exit 2.
struct UsageError {
  std::string message;
};

// RFC 3339 ("2026-11-22T10:00:00Z") or a date ("2026-11-22", midnight in
// `zone`).
google::protobuf::Timestamp ParseTimestamp(const std::string& flag, const std::string& text,
                                           const std::string& zone_name = "UTC") {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    absl::TimeZone zone = absl::UTCTimeZone();
    if (!zone_name.empty() && !absl::LoadTimeZone(zone_name, &zone)) {
      throw UsageError{"--zone: unknown IANA time zone"};
    }
    if (!absl::ParseTime("%Y-%m-%d", text, zone, &t, &err)) {
      throw UsageError{flag + ": expected RFC 3339 (2026-11-22T10:00:00Z) or a date (2026-11-22)"};
    }
  }
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  ts.set_nanos(static_cast<int>((t - absl::FromUnixSeconds(ts.seconds())) / absl::Nanoseconds(1)));
  return ts;
}

int ExitCode(const absl::Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ? 3 : 1;
}

// Where output goes: stdout or --file.
struct Sink {
  std::string file;
  int Write(const std::string& text) const {
    if (file.empty()) {
      std::cout << text;
      return 0;
    }
    std::ofstream out(file, std::ios::binary);
    out << text;
    if (!out) {
      std::cerr << "error: --file: cannot write " << file << "\n";
      return 2;
    }
    return 0;
  }
};

Format FormatOf(const std::string& output) {
  if (output == "csv") return Format::kCsv;
  if (output == "json") return Format::kJson;
  if (output == "compact") return Format::kCompact;
  return Format::kTable;
}

template <typename Message>
int Print(const absl::StatusOr<Message>& result, const std::string& output, const Sink& sink,
          const std::string& list_field = "", const std::string& total_field = "",
          absl::TimeZone zone = absl::UTCTimeZone()) {
  if (!result.ok()) return ExitCode(result.status());
  return sink.Write(ctl::Render(*result, FormatOf(output), list_field, total_field, zone));
}

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
        ->check(CLI::IsMember(Keys(kChannels)));
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
  void Fill(Request& r) const {
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
    if (!occurred_at.empty()) *r.mutable_occurred_at() = ParseTimestamp("--occurred_at", occurred_at);
  }
};

// "1-5 09:00-17:00" -> open hours Monday to Friday, 9 to 17.
void AddOpenHours(const std::string& spec, v1::SlaCalendar& calendar) {
  std::vector<std::string> parts = absl::StrSplit(spec, ' ', absl::SkipEmpty());
  int first = 0, last = 0, h1 = 0, m1 = 0, h2 = 0, m2 = 0;
  if (parts.size() != 2 || std::sscanf(parts[1].c_str(), "%d:%d-%d:%d", &h1, &m1, &h2, &m2) != 4) {
    throw UsageError{"--hours: expected 'DAYS HH:MM-HH:MM', e.g. '1-5 09:00-17:00'"};
  }
  std::vector<std::string> days = absl::StrSplit(parts[0], '-');
  if (!absl::SimpleAtoi(days[0], &first) ||
      !absl::SimpleAtoi(days.size() > 1 ? days[1] : days[0], &last) || first < 1 || last > 7 ||
      first > last) {
    throw UsageError{"--hours: days are ISO weekdays 1 (Monday) to 7 (Sunday), e.g. 1-5"};
  }
  for (int d = first; d <= last; ++d) {
    v1::OpenHours* h = calendar.add_open_hours();
    h->set_iso_weekday(d);
    h->set_start_minute(h1 * 60 + m1);
    h->set_end_minute(h2 * 60 + m2);
  }
}

google::protobuf::Duration ParseDuration(const std::string& flag, const std::string& text) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration()) {
    throw UsageError{flag + ": expected a positive duration such as 30m, 4h or 24h"};
  }
  google::protobuf::Duration out;
  out.set_seconds(absl::ToInt64Seconds(d));
  return out;
}

// ReportQuery flags.
struct QueryFlags {
  std::string from, to, zone = "UTC", bucket = "none";
  std::vector<std::string> group_by, channels, queues, agents;

  void AddTo(CLI::App& cmd) {
    cmd.add_option("--from", from, "Start (date in --zone, or RFC 3339), inclusive")->required();
    cmd.add_option("--to", to, "End (date in --zone, or RFC 3339), exclusive")->required();
    cmd.add_option("--zone", zone, "IANA time zone of dates and buckets")->capture_default_str();
    cmd.add_option("--bucket", bucket, "none, day, week (Monday) or month")
        ->check(CLI::IsMember(Keys(kBuckets)))
        ->capture_default_str();
    cmd.add_option("--group_by", group_by, "channel, agent, queue, category (repeatable)")
        ->check(CLI::IsMember(Keys(kDimensions)));
    cmd.add_option("--channel", channels, "Only these channels (repeatable)")
        ->check(CLI::IsMember(Keys(kChannels)));
    cmd.add_option("--queue", queues, "Only these queues (repeatable)");
    cmd.add_option("--agent", agents, "Only these agents (repeatable)");
  }

  v1::ReportQuery Build() const {
    v1::ReportQuery q;
    *q.mutable_start_time() = ParseTimestamp("--from", from, zone);
    *q.mutable_end_time() = ParseTimestamp("--to", to, zone);
    q.set_time_zone(zone);
    q.set_bucket(kBuckets.at(bucket));
    for (const auto& d : group_by) q.add_group_by(kDimensions.at(d));
    for (const auto& c : channels) q.mutable_filters()->add_channels(kChannels.at(c));
    for (const auto& v : queues) q.mutable_filters()->add_queues(v);
    for (const auto& v : agents) q.mutable_filters()->add_agent_ids(v);
    return q;
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"feedbackctl: command line for the feedback service"};
  app.require_subcommand(1);
  app.fallthrough();
  clients::ClientOptions options;
  std::string output = "table";
  Sink sink;
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
  app.add_option("--output", output,
                 "table, csv, json (pretty), compact (one-line JSON); html for reports")
      ->envname("FEEDBACK_OUTPUT")
      ->check(CLI::IsMember({"table", "csv", "json", "compact", "html"}))
      ->capture_default_str();
  app.add_option("--file", sink.file, "Write the output to this file instead of stdout");

  // Submits.
  CLI::App* rate = app.add_subcommand("rate", "Submit a CSAT rating (1-5)");
  Common rate_common;
  rate_common.AddTo(*rate);
  int rate_score = 0;
  std::string rate_complaint;
  rate->add_option("--score", rate_score, "1-5")->required();
  rate->add_option("--complaint_id", rate_complaint, "Complaint whose handling is rated");
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
  bool health_watch = false;
  health->add_flag("--watch", health_watch,
                   "Follow the status instead (no deadline): one line per change, "
                   "'<unix microseconds> <STATUS>', until the server goes away");

  // Complaints.
  CLI::App* complaint = app.add_subcommand("complaint", "Complaints and their workflow");
  complaint->require_subcommand(1);
  std::string c_id, c_etag, c_queue, c_subject, c_description, c_category, c_priority = "normal",
      c_channel, c_customer, c_phone, c_email, c_name, c_interaction, c_request, c_source,
      c_assignee, c_to, c_code, c_note, c_reason, c_body, c_page_token, c_order = "due";
  std::vector<std::string> c_queues, c_statuses;
  bool c_public = false, c_breached = false;
  int c_page_size = 0;
  CLI::App* c_file = complaint->add_subcommand("file", "File a complaint");
  c_file->add_option("--channel", c_channel, "Channel")->required()->check(CLI::IsMember(Keys(kChannels)));
  c_file->add_option("--queue", c_queue, "Queue")->required();
  c_file->add_option("--subject", c_subject, "Subject")->required();
  c_file->add_option("--description", c_description, "Description");
  c_file->add_option("--category", c_category, "Category");
  c_file->add_option("--priority", c_priority, "low, normal, high, urgent")
      ->check(CLI::IsMember(Keys(kPriorities)))
      ->capture_default_str();
  c_file->add_option("--customer_id", c_customer, "Customer id");
  c_file->add_option("--phone", c_phone, "Customer phone");
  c_file->add_option("--email", c_email, "Customer email");
  c_file->add_option("--name", c_name, "Customer display name");
  c_file->add_option("--interaction_id", c_interaction, "Call or order id");
  c_file->add_option("--source_feedback_id", c_source, "The score this complaint follows up");
  c_file->add_option("--request_id", c_request, "Idempotency key (generated when omitted)");
  CLI::App* c_get = complaint->add_subcommand("get", "Show one complaint");
  c_get->add_option("id", c_id, "Complaint id")->required();
  CLI::App* c_list = complaint->add_subcommand("list", "List complaints");
  c_list->add_option("--queue", c_queue, "Queue");
  c_list->add_option("--status", c_statuses, "Status (repeatable)")->check(CLI::IsMember(Keys(kStatuses)));
  c_list->add_option("--assignee", c_assignee, "Assignee");
  c_list->add_option("--customer_id", c_customer, "Customer id");
  c_list->add_flag("--breached", c_breached, "Only complaints past an SLA target");
  c_list->add_option("--page_size", c_page_size, "Rows per page (at most 500)");
  c_list->add_option("--page_token", c_page_token, "Token of the next page");
  c_list->add_option("--order", c_order, "due (resolution due first) or newest")
      ->check(CLI::IsMember({"due", "newest"}));
  CLI::App* c_claim = complaint->add_subcommand("claim", "Claim the most urgent unassigned complaint");
  c_claim->add_option("--queue", c_queues, "Queues to claim from (repeatable; default: all of yours)");
  CLI::App* c_assign = complaint->add_subcommand("assign", "Assign a complaint (supervisors)");
  c_assign->add_option("id", c_id, "Complaint id")->required();
  c_assign->add_option("--etag", c_etag, "Etag from the last read")->required();
  c_assign->add_option("--assignee", c_assignee, "Agent (empty: unassign)");
  CLI::App* c_note_cmd = complaint->add_subcommand("note", "Add a note");
  c_note_cmd->add_option("id", c_id, "Complaint id")->required();
  c_note_cmd->add_option("--body", c_body, "Text")->required();
  c_note_cmd->add_flag("--public", c_public, "Visible to the customer (the first is the first response)");
  CLI::App* c_transition = complaint->add_subcommand("transition", "Change the status");
  c_transition->add_option("id", c_id, "Complaint id")->required();
  c_transition->add_option("--etag", c_etag, "Etag from the last read")->required();
  c_transition->add_option("--to", c_to, "new, in_progress, waiting_on_customer, resolved, closed")
      ->required()
      ->check(CLI::IsMember(Keys(kStatuses)));
  c_transition->add_option("--resolution_code", c_code, "Required to resolve");
  c_transition->add_option("--note", c_note, "Internal note");
  CLI::App* c_escalate = complaint->add_subcommand("escalate", "Escalate a complaint");
  c_escalate->add_option("id", c_id, "Complaint id")->required();
  c_escalate->add_option("--etag", c_etag, "Etag from the last read")->required();
  c_escalate->add_option("--reason", c_reason, "Why")->required();
  CLI::App* c_events = complaint->add_subcommand("events", "The audit trail of a complaint");
  c_events->add_option("id", c_id, "Complaint id")->required();
  c_events->add_option("--page_size", c_page_size, "Rows per page");
  c_events->add_option("--page_token", c_page_token, "Token of the next page");
  CLI::App* c_watch = complaint->add_subcommand("watch", "Stream queue changes as they happen (Ctrl-C stops)");
  c_watch->add_option("--queue", c_queues, "Queues (repeatable; default: all of yours)");
  int watch_max = 0;
  c_watch->add_option("--max_events", watch_max, "Stop after this many events (0: never)");

  // Follow-ups.
  CLI::App* followup = app.add_subcommand("followup", "Follow-up tasks of complaints");
  followup->require_subcommand(1);
  std::string f_kind, f_due, f_note, f_outcome, f_id, f_complaint, f_queue, f_page_token;
  bool f_pending = false, f_overdue = false;
  int f_page_size = 0;
  CLI::App* f_schedule = followup->add_subcommand("schedule", "Schedule a follow-up");
  f_schedule->add_option("complaint_id", f_complaint, "Complaint id")->required();
  f_schedule->add_option("--kind", f_kind, "callback, email or survey")
      ->required()
      ->check(CLI::IsMember(Keys(kFollowUpKinds)));
  f_schedule->add_option("--due", f_due, "When (RFC 3339)")->required();
  f_schedule->add_option("--note", f_note, "Note");
  CLI::App* f_complete = followup->add_subcommand("complete", "Complete a follow-up");
  f_complete->add_option("id", f_id, "Follow-up id")->required();
  f_complete->add_option("--outcome", f_outcome, "What happened")->required();
  CLI::App* f_list = followup->add_subcommand("list", "List follow-ups");
  f_list->add_option("--complaint_id", f_complaint, "Of one complaint");
  f_list->add_option("--queue", f_queue, "Of one queue");
  f_list->add_flag("--pending", f_pending, "Only pending ones");
  f_list->add_flag("--overdue", f_overdue, "Only overdue ones");
  f_list->add_option("--page_size", f_page_size, "Rows per page");
  f_list->add_option("--page_token", f_page_token, "Token of the next page");

  // Reports.
  CLI::App* report = app.add_subcommand("report", "Manager reports (--output html --file F for charts)");
  report->require_subcommand(1);
  QueryFlags query;
  CLI::App* r_satisfaction = report->add_subcommand("satisfaction", "CSAT % and score counts");
  CLI::App* r_nps = report->add_subcommand("nps", "NPS with its margin of error");
  CLI::App* r_complaints = report->add_subcommand("complaints", "Complaint resolution and SLA");
  CLI::App* r_retention = report->add_subcommand("retention", "Customer return and churn rates");
  for (CLI::App* r : {r_satisfaction, r_nps, r_complaints, r_retention}) query.AddTo(*r);

  // Admin.
  CLI::App* admin = app.add_subcommand("admin", "API keys, SLA policies, erasure (admins)");
  admin->require_subcommand(1);
  CLI::App* a_key = admin->add_subcommand("key", "API keys");
  a_key->require_subcommand(1);
  std::string k_name, k_role, k_id, s_priority, s_first, s_resolution, s_zone = "UTC", e_customer;
  std::vector<std::string> k_queues, s_hours, s_holidays;
  bool k_revoked = false;
  CLI::App* k_create = a_key->add_subcommand("create", "Create a key (shown once)");
  k_create->add_option("--name", k_name, "Who or what uses it")->required();
  k_create->add_option("--role", k_role, "ingest, agent, supervisor, manager, admin")
      ->required()
      ->check(CLI::IsMember(Keys(kRoles)));
  k_create->add_option("--queue", k_queues, "Queues of an agent (repeatable)");
  CLI::App* k_revoke = a_key->add_subcommand("revoke", "Revoke a key");
  k_revoke->add_option("id", k_id, "Key id")->required();
  CLI::App* k_list = a_key->add_subcommand("list", "List keys (never their secrets)");
  k_list->add_flag("--include_revoked", k_revoked, "Also revoked keys");
  CLI::App* a_sla = admin->add_subcommand("sla", "SLA policies");
  a_sla->require_subcommand(1);
  CLI::App* s_list = a_sla->add_subcommand("list", "List the policy of each priority");
  CLI::App* s_set = a_sla->add_subcommand("set", "Set the policy of a priority");
  s_set->add_option("--priority", s_priority, "low, normal, high, urgent")
      ->required()
      ->check(CLI::IsMember(Keys(kPriorities)));
  s_set->add_option("--first_response", s_first, "Business time, e.g. 4h")->required();
  s_set->add_option("--resolution", s_resolution, "Business time, e.g. 24h")->required();
  s_set->add_option("--zone", s_zone, "IANA zone of the calendar")->capture_default_str();
  s_set->add_option("--hours", s_hours, "Open hours 'DAYS HH:MM-HH:MM' (repeatable)")->required();
  s_set->add_option("--holiday", s_holidays, "Closed date YYYY-MM-DD (repeatable)");
  CLI::App* a_erase = admin->add_subcommand("erase", "Erase a customer's personal data");
  a_erase->add_option("customer_id", e_customer, "Customer id")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, and the exit code scripts test for bad usage.
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  options.deadline = absl::Milliseconds(deadline_ms);
  const bool is_report = report->parsed();
  if (output == "html" && !is_report) {
    std::cerr << "error: --output html is for reports\n";
    return 2;
  }

  try {
    if (health->parsed()) {
      options.max_attempts = 1;
      clients::FeedbackClient client(options);
      if (health_watch) {
        bool seen = false;
        const absl::Status ended = client.WatchHealth(
            [&seen](grpc::health::v1::HealthCheckResponse::ServingStatus s) {
              seen = true;
              std::cout << absl::ToUnixMicros(absl::Now()) << " "
                        << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(s)
                        << std::endl;
            });
        // The stream ends when the server shuts down or goes away; never
        // having had an answer is an error.
        if (!seen) return ExitCode(ended);
        std::cerr << "health watch ended: " << ended.ToString() << "\n";
        return 0;
      }
      absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus> status = client.Health();
      if (!status.ok()) return ExitCode(status.status());
      std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(*status) << "\n";
      return *status == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 3;
    }
    if (rate->parsed() || nps->parsed() || survey->parsed()) {
      clients::FeedbackClient client(options);
      if (rate->parsed()) {
        v1::SubmitRatingRequest r;
        rate_common.Fill(r);
        r.set_score(rate_score);
        r.set_complaint_id(rate_complaint);
        return Print(client.SubmitRating(r), output, sink);
      }
      if (nps->parsed()) {
        v1::SubmitNpsRequest r;
        nps_common.Fill(r);
        r.set_score(nps_score);
        return Print(client.SubmitNps(r), output, sink);
      }
      v1::SubmitSurveyRequest r;
      survey_common.Fill(r);
      if (survey_csat) r.set_csat_score(*survey_csat);
      if (survey_nps) r.set_nps_score(*survey_nps);
      return Print(client.SubmitSurvey(r), output, sink);
    }
    if (complaint->parsed()) {
      clients::ComplaintClient client(options);
      if (c_file->parsed()) {
        v1::FileComplaintRequest r;
        r.set_request_id(c_request.empty() ? clients::NewRequestId() : c_request);
        r.set_channel(kChannels.at(c_channel));
        r.set_queue(c_queue);
        r.set_subject(c_subject);
        r.set_description(c_description);
        r.set_category(c_category);
        r.set_priority(kPriorities.at(c_priority));
        r.mutable_customer()->set_customer_id(c_customer);
        r.mutable_customer()->set_phone(c_phone);
        r.mutable_customer()->set_email(c_email);
        r.mutable_customer()->set_display_name(c_name);
        r.set_interaction_id(c_interaction);
        r.set_source_feedback_id(c_source);
        return Print(client.FileComplaint(r), output, sink);
      }
      if (c_get->parsed()) {
        v1::GetComplaintRequest r;
        r.set_id(c_id);
        return Print(client.GetComplaint(r), output, sink);
      }
      if (c_list->parsed()) {
        v1::ListComplaintsRequest r;
        r.set_queue(c_queue);
        for (const auto& s : c_statuses) r.add_statuses(kStatuses.at(s));
        r.set_assignee_id(c_assignee);
        r.set_customer_id(c_customer);
        r.set_breached_only(c_breached);
        r.set_page_size(c_page_size);
        r.set_page_token(c_page_token);
        if (c_order == "newest") r.set_order(v1::COMPLAINT_ORDER_NEWEST);
        return Print(client.ListComplaints(r), output, sink, "complaints");
      }
      if (c_claim->parsed()) {
        v1::ClaimNextComplaintRequest r;
        for (const auto& q : c_queues) r.add_queues(q);
        return Print(client.ClaimNextComplaint(r), output, sink);
      }
      if (c_assign->parsed()) {
        v1::AssignComplaintRequest r;
        r.set_id(c_id);
        r.set_etag(c_etag);
        r.set_assignee_id(c_assignee);
        return Print(client.AssignComplaint(r), output, sink);
      }
      if (c_note_cmd->parsed()) {
        v1::AddComplaintNoteRequest r;
        r.set_id(c_id);
        r.set_body(c_body);
        r.set_visibility(c_public ? v1::NOTE_VISIBILITY_PUBLIC : v1::NOTE_VISIBILITY_INTERNAL);
        return Print(client.AddComplaintNote(r), output, sink);
      }
      if (c_transition->parsed()) {
        v1::TransitionComplaintRequest r;
        r.set_id(c_id);
        r.set_etag(c_etag);
        r.set_to_status(kStatuses.at(c_to));
        r.set_resolution_code(c_code);
        r.set_note(c_note);
        return Print(client.TransitionComplaint(r), output, sink);
      }
      if (c_escalate->parsed()) {
        v1::EscalateComplaintRequest r;
        r.set_id(c_id);
        r.set_etag(c_etag);
        r.set_reason(c_reason);
        return Print(client.EscalateComplaint(r), output, sink);
      }
      if (c_events->parsed()) {
        v1::ListComplaintEventsRequest r;
        r.set_complaint_id(c_id);
        r.set_page_size(c_page_size);
        r.set_page_token(c_page_token);
        return Print(client.ListComplaintEvents(r), output, sink, "events");
      }
      // watch: one line per event (compact JSON, or a CSV/table row).
      v1::WatchComplaintsRequest r;
      for (const auto& q : c_queues) r.add_queues(q);
      auto context = client.NewStreamContext();
      auto reader = client.stub().WatchComplaints(context.get(), r);
      v1::ComplaintEvent event;
      int seen = 0;
      const Format format = output == "table" ? Format::kCompact : FormatOf(output);
      while (reader->Read(&event)) {
        std::string line = ctl::Render(event, format == Format::kJson ? Format::kCompact : format);
        if (format == Format::kCsv && seen > 0) line = line.substr(line.find("\r\n") + 2);
        std::cout << line << std::flush;
        if (watch_max > 0 && ++seen >= watch_max) {
          context->TryCancel();
          break;
        }
        if (watch_max == 0) ++seen;
      }
      const grpc::Status st = reader->Finish();
      if (watch_max > 0 && seen >= watch_max) return 0;
      if (!st.ok()) {
        return ExitCode(absl::Status(static_cast<absl::StatusCode>(st.error_code()), st.error_message()));
      }
      return 0;
    }
    if (followup->parsed()) {
      clients::ComplaintClient client(options);
      if (f_schedule->parsed()) {
        v1::ScheduleFollowUpRequest r;
        r.set_complaint_id(f_complaint);
        r.set_kind(kFollowUpKinds.at(f_kind));
        *r.mutable_due_at() = ParseTimestamp("--due", f_due);
        r.set_note(f_note);
        return Print(client.ScheduleFollowUp(r), output, sink);
      }
      if (f_complete->parsed()) {
        v1::CompleteFollowUpRequest r;
        r.set_follow_up_id(f_id);
        r.set_outcome(f_outcome);
        return Print(client.CompleteFollowUp(r), output, sink);
      }
      v1::ListFollowUpsRequest r;
      r.set_complaint_id(f_complaint);
      r.set_queue(f_queue);
      r.set_pending_only(f_pending);
      r.set_overdue_only(f_overdue);
      r.set_page_size(f_page_size);
      r.set_page_token(f_page_token);
      return Print(client.ListFollowUps(r), output, sink, "follow_ups");
    }
    if (is_report) {
      clients::ReportingClient client(options);
      const v1::ReportQuery q = query.Build();
      const bool html = output == "html";
      absl::TimeZone zone;
      absl::LoadTimeZone(query.zone, &zone);  // checked by Build()
      if (r_satisfaction->parsed()) {
        auto got = client.GetSatisfactionReport(q);
        if (html && got.ok()) return sink.Write(ctl::SatisfactionHtml(q, *got));
        return Print(got, output, sink, "rows", "total", zone);
      }
      if (r_nps->parsed()) {
        auto got = client.GetNpsReport(q);
        if (html && got.ok()) return sink.Write(ctl::NpsHtml(q, *got));
        return Print(got, output, sink, "rows", "total", zone);
      }
      if (r_complaints->parsed()) {
        auto got = client.GetComplaintReport(q);
        if (html && got.ok()) return sink.Write(ctl::ComplaintHtml(q, *got));
        return Print(got, output, sink, "rows", "total", zone);
      }
      auto got = client.GetRetentionReport(q);
      if (html && got.ok()) return sink.Write(ctl::RetentionHtml(q, *got));
      return Print(got, output, sink, "rows", "total", zone);
    }
    clients::AdminClient client(options);
    if (k_create->parsed()) {
      v1::CreateApiKeyRequest r;
      r.set_name(k_name);
      r.set_role(kRoles.at(k_role));
      for (const auto& q : k_queues) r.add_queues(q);
      return Print(client.CreateApiKey(r), output, sink);
    }
    if (k_revoke->parsed()) {
      v1::RevokeApiKeyRequest r;
      r.set_id(k_id);
      return Print(client.RevokeApiKey(r), output, sink);
    }
    if (k_list->parsed()) {
      v1::ListApiKeysRequest r;
      r.set_include_revoked(k_revoked);
      return Print(client.ListApiKeys(r), output, sink, "api_keys");
    }
    if (s_list->parsed()) return Print(client.ListSlaPolicies({}), output, sink, "policies");
    if (s_set->parsed()) {
      v1::UpsertSlaPolicyRequest r;
      r.set_priority(kPriorities.at(s_priority));
      *r.mutable_first_response_target() = ParseDuration("--first_response", s_first);
      *r.mutable_resolution_target() = ParseDuration("--resolution", s_resolution);
      r.mutable_calendar()->set_time_zone(s_zone);
      for (const auto& h : s_hours) AddOpenHours(h, *r.mutable_calendar());
      for (const auto& d : s_holidays) r.mutable_calendar()->add_holidays(d);
      return Print(client.UpsertSlaPolicy(r), output, sink);
    }
    v1::EraseCustomerRequest r;
    r.set_customer_id(e_customer);
    return Print(client.EraseCustomer(r), output, sink);
  } catch (const UsageError& e) {
    std::cerr << "error: " << e.message << "\n";
    return 2;
  }
}
