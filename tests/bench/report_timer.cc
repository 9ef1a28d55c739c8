// Times one report over gRPC: calls it --repeat times (after one warm-up
// call) and prints one JSON line with each call's latency in ms and the
// last response, for the benchmark to compare with plain SQL.
//
//   feedback_report_timer --addr A --api_key K --report satisfaction
//     --query '{"startTime":"2026-08-01T00:00:00Z","endTime":"2026-11-01T00:00:00Z",
//               "timeZone":"UTC","bucket":"BUCKET_WEEK","groupBy":["DIMENSION_CHANNEL"]}'

#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "clients/service_clients.h"

namespace {

template <typename Call>
int Time(Call call, int repeat, double max_seconds) {
  const auto began = std::chrono::steady_clock::now();
  auto first = call();  // warm-up: connection set-up, server caches
  if (!first.ok()) {
    std::cerr << "error: " << first.status() << "\n";
    return 1;
  }
  std::string latencies;
  for (int i = 0; i < repeat; ++i) {
    const auto start = std::chrono::steady_clock::now();
    // Slow reports: at least 3 timed calls, then stop at the time budget.
    if (i >= 3 && std::chrono::duration<double>(start - began).count() > max_seconds) break;
    auto response = call();
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!response.ok()) {
      std::cerr << "error: " << response.status() << "\n";
      return 1;
    }
    latencies += (i ? "," : "") + std::to_string(ms);
    first = std::move(response);
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(*first, &json, options).ok()) return 1;
  std::cout << "{\"latencies_ms\":[" << latencies << "],\"response\":" << json << "}" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"feedback_report_timer: time a report over gRPC"};
  feedback::clients::ClientOptions options;
  std::string report, query_json;
  int repeat = 20;
  app.add_option("--addr", options.address)->required();
  app.add_option("--api_key", options.api_key)->required();
  app.add_option("--report", report)
      ->required()
      ->check(CLI::IsMember({"satisfaction", "nps", "complaints", "retention"}));
  app.add_option("--query", query_json, "ReportQuery as protobuf JSON")->required();
  app.add_option("--repeat", repeat)->check(CLI::Range(1, 10000));
  double max_seconds = 30;
  app.add_option("--max_seconds", max_seconds, "Stop repeating after this long (3 calls at least)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  options.deadline = absl::Minutes(5);
  feedback::v1::ReportQuery query;
  if (auto s = google::protobuf::util::JsonStringToMessage(query_json, &query); !s.ok()) {
    std::cerr << "error: --query: " << s.ToString() << "\n";
    return 2;
  }
  feedback::clients::ReportingClient client(options);
  if (report == "satisfaction") return Time([&] { return client.GetSatisfactionReport(query); }, repeat, max_seconds);
  if (report == "nps") return Time([&] { return client.GetNpsReport(query); }, repeat, max_seconds);
  if (report == "complaints") return Time([&] { return client.GetComplaintReport(query); }, repeat, max_seconds);
  return Time([&] { return client.GetRetentionReport(query); }, repeat, max_seconds);
}
