// feedback_loadgen: closed-loop load on SubmitRating.
//
//   feedback_loadgen --addr 127.0.0.1:50051 --api_key K --concurrency 64 --seconds 10
//
// Each of `concurrency` workers keeps one call in flight (unique request_ids,
// a realistic payload) and checks every response's gRPC status. Prints one
// JSON line: requests, OK count, errors by code, req/s, p50/p99/p99.9 ms.
// `--duplicate_percent P` replays an earlier request_id of the same worker
// with probability P (a replay storm).

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "feedback/v1/feedback_service.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

feedback::v1::SubmitRatingRequest Rating(const std::string& request_id, std::mt19937& rng) {
  feedback::v1::SubmitRatingRequest r;
  r.set_request_id(request_id);
  r.set_channel(feedback::v1::CHANNEL_IVR);
  r.set_score(1 + static_cast<int>(rng() % 5));
  r.set_interaction_id("call-" + request_id);
  r.set_agent_id("agent-" + std::to_string(rng() % 50));
  r.set_queue((rng() % 2) ? "general" : "billing");
  r.mutable_customer()->set_customer_id("cust-" + std::to_string(rng() % 100000));
  (*r.mutable_attributes())["ivr_flow"] = "post-call";
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"feedback_loadgen: closed-loop SubmitRating load"};
  std::string addr = "127.0.0.1:50051", key, run_id = std::to_string(std::random_device{}());
  int concurrency = 64, seconds = 10, duplicate_percent = 0;
  app.add_option("--addr", addr)->envname("FEEDBACK_ADDR");
  app.add_option("--api_key", key)->envname("FEEDBACK_API_KEY")->required();
  app.add_option("--concurrency", concurrency)->check(CLI::Range(1, 1024));
  app.add_option("--seconds", seconds)->check(CLI::Range(1, 3600));
  app.add_option("--duplicate_percent", duplicate_percent)->check(CLI::Range(0, 100));
  app.add_option("--run_id", run_id, "Prefix of the request ids (unique per run)");
  CLI11_PARSE(app, argc, argv);

  // A few channels, so HTTP/2 connection limits do not cap the load.
  std::vector<std::unique_ptr<feedback::v1::FeedbackService::Stub>> stubs;
  for (int i = 0; i < 4; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", i);  // distinct channels, not one shared subchannel
    stubs.push_back(feedback::v1::FeedbackService::NewStub(
        grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args)));
  }
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<double> latencies_ms;
  std::map<int, int64_t> codes;
  int64_t fresh = 0;
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (int w = 0; w < concurrency; ++w) {
    workers.emplace_back([&, w] {
      std::mt19937 rng(w);
      std::vector<double> mine;
      std::map<int, int64_t> my_codes;
      int64_t my_fresh = 0;
      auto& stub = *stubs[w % stubs.size()];
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        const bool replay = i > 0 && static_cast<int>(rng() % 100) < duplicate_percent;
        const int64_t n = replay ? static_cast<int64_t>(rng() % i) : i;
        std::mt19937 payload_rng(static_cast<uint32_t>(w * 1000003 + n));
        const auto request = Rating(run_id + "-" + std::to_string(w) + "-" + std::to_string(n),
                                    payload_rng);
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + key);
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        feedback::v1::SubmitRatingResponse response;
        const auto t0 = Clock::now();
        const grpc::Status st = stub.SubmitRating(&context, request, &response);
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        ++my_codes[st.error_code()];
        if (st.ok() && !response.duplicate()) ++my_fresh;
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
      for (auto [c, n] : my_codes) codes[c] += n;
      fresh += my_fresh;
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : workers) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    return latencies_ms.empty() ? 0.0
                                : latencies_ms[std::min(latencies_ms.size() - 1,
                                                        static_cast<size_t>(p * latencies_ms.size()))];
  };
  std::cout << "{\"concurrency\":" << concurrency << ",\"requests\":" << latencies_ms.size()
            << ",\"ok\":" << codes[0] << ",\"ok_new\":" << fresh << ",\"errors\":{";
  bool first = true;
  for (auto [c, n] : codes) {
    if (c == 0) continue;
    std::cout << (first ? "" : ",") << "\"" << c << "\":" << n;
    first = false;
  }
  std::cout << "},\"req_per_s\":" << static_cast<int64_t>(latencies_ms.size() / elapsed)
            << ",\"p50_ms\":" << pct(0.5) << ",\"p99_ms\":" << pct(0.99)
            << ",\"p999_ms\":" << pct(0.999) << "}" << std::endl;
  return codes.size() == 1 && codes.count(0) ? 0 : 1;
}
