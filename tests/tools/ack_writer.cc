// Submits --count ratings with unique request ids from --threads threads
// through the client library (each retried on UNAVAILABLE with the same
// request id, up to --attempts), and writes the request ids the service
// acknowledged (OK), one per line, to --acked. The fault tests compare that
// file with the table: every acknowledged id stored exactly once.
// --failures FILE lists each call that did not end OK as
// "<start unix ms> <end unix ms> <gRPC code>", for tests that check when
// calls failed and that the ones after a fault succeeded.
#include <atomic>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "clients/feedback_client.h"

int main(int argc, char** argv) {
  CLI::App app{"Submit ratings and record which were acknowledged"};
  feedback::clients::ClientOptions options;
  std::string acked_file, prefix = "ack";
  int count = 2000, threads = 64;
  app.add_option("--addr", options.address)->required();
  app.add_option("--api_key", options.api_key)->required();
  app.add_option("--count", count);
  app.add_option("--threads", threads);
  app.add_option("--attempts", options.max_attempts);
  app.add_option("--prefix", prefix);
  app.add_option("--acked", acked_file)->required();
  std::string failures_file;
  app.add_option("--failures", failures_file, "Where to list the calls that failed");
  int deadline_ms = 2000;
  app.add_option("--deadline_ms", deadline_ms, "Deadline of each attempt");
  CLI11_PARSE(app, argc, argv);
  options.deadline = absl::Milliseconds(deadline_ms);
  options.max_backoff = absl::Seconds(1);
  feedback::clients::FeedbackClient client(options);
  std::atomic<int> next{0}, failed{0};
  std::atomic<int64_t> slowest_us{0};
  std::mutex mu;
  std::vector<std::string> acked;
  std::vector<std::string> failures;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = next++; i < count; i = next++) {
        feedback::v1::SubmitRatingRequest r;
        r.set_request_id(prefix + "-" + std::to_string(i));
        r.set_channel(feedback::v1::CHANNEL_IVR);
        r.set_score(1 + i % 5);
        r.set_interaction_id("call-" + std::to_string(i));
        const absl::Time start = absl::Now();
        const absl::Status status = client.SubmitRating(r).status();
        const bool ok = status.ok();
        const absl::Time end = absl::Now();
        const int64_t took = absl::ToInt64Microseconds(end - start);
        for (int64_t seen = slowest_us.load(); took > seen && !slowest_us.compare_exchange_weak(seen, took);) {
        }
        if (ok) {
          std::lock_guard<std::mutex> lock(mu);
          acked.push_back(r.request_id());
        } else {
          ++failed;
          std::lock_guard<std::mutex> lock(mu);
          failures.push_back(absl::StrCat(absl::ToUnixMillis(start), " ", absl::ToUnixMillis(end), " ",
                                          static_cast<int>(status.code())));
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  std::ofstream out(acked_file);
  for (const auto& id : acked) out << id << "\n";
  if (!failures_file.empty()) {
    std::ofstream f(failures_file);
    for (const auto& line : failures) f << line << "\n";
    if (!f) return 1;
  }
  std::cout << acked.size() << " acknowledged, " << failed.load() << " not, slowest call "
            << slowest_us.load() / 1000 << " ms\n";
  return out ? 0 : 1;
}
