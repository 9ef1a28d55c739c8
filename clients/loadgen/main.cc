// feedback_loadgen: load on SubmitRating or ClaimNextComplaint with gRPC's
// callback API, every response's status checked.
//
//   closed loop: keep N calls in flight
//     feedback_loadgen --api_key K --concurrency 64 --seconds 10
//   open loop: start calls at a fixed rate whatever the answers do; latency
//   counts from when a call was due, so a stalled server shows up in the
//   percentiles instead of slowing the load (no coordinated omission)
//     feedback_loadgen --api_key K --rate 20000 --seconds 10
//
// --rpc claim: ClaimNextComplaint; --api_key may list several keys (one
// agent each, used round robin by the workers); every claimed complaint id
// is counted, so a complaint handed out twice shows as claimed - distinct.
// --duplicate_percent P: a rating replays an earlier request_id of the run
// with probability P (a replay storm).
//
// Prints one JSON line: calls, OK (new / duplicate), errors by gRPC code,
// calls/s, p50/p99/p99.9/max ms over the measured seconds, and all_ok /
// all_ok_new over the whole run (warm-up and drain included), which is what
// the table must hold afterwards. Exit 1 when any call failed.

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "CLI/CLI.hpp"
#include "feedback/v1/complaint_service.grpc.pb.h"
#include "feedback/v1/feedback_service.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = feedback::v1;

v1::SubmitRatingRequest Rating(const std::string& request_id, uint64_t n) {
  std::mt19937 rng(static_cast<uint32_t>(n * 2654435761u));
  v1::SubmitRatingRequest r;
  r.set_request_id(request_id);
  r.set_channel(v1::CHANNEL_IVR);
  // A call center's usual spread: mostly 4 and 5, about one in eight low
  // (1-2), and those open a follow-up case (closing the loop).
  const int pick = static_cast<int>(rng() % 100);
  r.set_score(pick < 7 ? 1 : pick < 12 ? 2 : pick < 20 ? 3 : pick < 45 ? 4 : 5);
  r.set_interaction_id("call-" + request_id);
  r.set_agent_id("agent-" + std::to_string(rng() % 50));
  r.set_queue((rng() % 2) ? "general" : "billing");
  r.mutable_customer()->set_customer_id("cust-" + std::to_string(rng() % 100000));
  (*r.mutable_attributes())["ivr_flow"] = "post-call";
  return r;
}

struct Results {
  std::mutex mu;
  std::vector<double> latencies_ms;
  std::map<int, int64_t> codes;
  int64_t ok_new = 0, ok_duplicate = 0;
  // Over the whole run, warm-up and drain included: what the table must hold.
  int64_t all_ok = 0, all_ok_new = 0;
  std::unordered_map<std::string, int> claimed;
};

class Load {
 public:
  struct Options {
    std::string rpc = "rating";
    std::vector<std::string> keys;
    int duplicate_percent = 0;
    std::string run_id;
    int deadline_ms = 10000;
    std::vector<std::string> queues;  // claim: the queues to take work from
  };

  Load(std::vector<std::shared_ptr<grpc::Channel>> channels, Options options)
      : options_(std::move(options)) {
    for (auto& c : channels) {
      feedback_.push_back(v1::FeedbackService::NewStub(c));
      complaints_.push_back(v1::ComplaintService::NewStub(c));
    }
  }

  // Starts one call; `due` is when it should have started (open loop) or
  // when it did (closed loop). `then` runs after it is recorded.
  void Start(uint64_t worker, Clock::time_point due, std::function<void()> then) {
    in_flight_.fetch_add(1);
    const uint64_t n = next_.fetch_add(1);
    auto call = std::make_shared<Call>();
    call->due = due;
    call->record = recording_.load();
    for (const auto& q : options_.queues) call->claim.add_queues(q);
    call->context.AddMetadata("authorization",
                              "Bearer " + options_.keys[worker % options_.keys.size()]);
    call->context.set_deadline(std::chrono::system_clock::now() +
                               std::chrono::milliseconds(options_.deadline_ms));
    const size_t ch = worker % feedback_.size();
    if (options_.rpc == "claim") {
      complaints_[ch]->async()->ClaimNextComplaint(
          &call->context, &call->claim, &call->complaint,
          [this, call, then = std::move(then)](grpc::Status status) {
            Finish(*call, status, then);
          });
      return;
    }
    uint64_t id = n;
    if (options_.duplicate_percent > 0 && n > 0) {
      std::mt19937_64 rng(n);
      if (static_cast<int>(rng() % 100) < options_.duplicate_percent) id = rng() % n;
    }
    call->rating = Rating(options_.run_id + "-" + std::to_string(id), id);
    feedback_[ch]->async()->SubmitRating(&call->context, &call->rating, &call->rated,
                                         [this, call, then = std::move(then)](grpc::Status status) {
                                           Finish(*call, status, then);
                                         });
  }

  void SetRecording(bool on) { recording_ = on; }
  int64_t InFlight() const { return in_flight_.load(); }
  Results& results() { return results_; }

  void WaitIdle() {
    std::unique_lock<std::mutex> lock(idle_mu_);
    idle_cv_.wait(lock, [&] { return in_flight_.load() == 0; });
  }

 private:
  struct Call {
    grpc::ClientContext context;
    v1::SubmitRatingRequest rating;
    v1::SubmitRatingResponse rated;
    v1::ClaimNextComplaintRequest claim;
    v1::Complaint complaint;
    Clock::time_point due;
    bool record = false;
  };

  void Finish(Call& call, const grpc::Status& status, const std::function<void()>& then) {
    if (status.ok()) {
      std::lock_guard<std::mutex> lock(results_.mu);
      ++results_.all_ok;
      if (options_.rpc == "rating" && !call.rated.duplicate()) ++results_.all_ok_new;
    }
    if (call.record) {
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - call.due).count();
      std::lock_guard<std::mutex> lock(results_.mu);
      results_.latencies_ms.push_back(ms);
      ++results_.codes[status.error_code()];
      if (status.ok()) {
        if (options_.rpc == "claim") {
          ++results_.claimed[call.complaint.id()];
        } else if (call.rated.duplicate()) {
          ++results_.ok_duplicate;
        } else {
          ++results_.ok_new;
        }
      }
    } else if (status.ok() && options_.rpc == "claim") {
      std::lock_guard<std::mutex> lock(results_.mu);  // warm-up claims count too
      ++results_.claimed[call.complaint.id()];
    }
    if (then) then();
    if (in_flight_.fetch_sub(1) == 1) {
      std::lock_guard<std::mutex> lock(idle_mu_);
      idle_cv_.notify_all();
    }
  }

  const Options options_;
  std::vector<std::unique_ptr<v1::FeedbackService::Stub>> feedback_;
  std::vector<std::unique_ptr<v1::ComplaintService::Stub>> complaints_;
  std::atomic<uint64_t> next_{0};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<bool> recording_{false};
  Results results_;
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
};

std::vector<std::string> SplitKeys(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string k; std::getline(in, k, ',');) {
    if (!k.empty()) out.push_back(k);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"feedback_loadgen: SubmitRating / ClaimNextComplaint load, every status checked"};
  std::string addr = "127.0.0.1:50051", keys;
  Load::Options options;
  options.run_id = std::to_string(std::random_device{}());
  int concurrency = 64, seconds = 10, warmup_seconds = 1, channels = 4;
  double rate = 0;
  int64_t max_in_flight = 20000;
  app.add_option("--addr", addr)->envname("FEEDBACK_ADDR");
  app.add_option("--api_key", keys, "API key, or several separated by commas")
      ->envname("FEEDBACK_API_KEY")
      ->required();
  app.add_option("--rpc", options.rpc)->check(CLI::IsMember({"rating", "claim"}));
  app.add_option("--concurrency", concurrency, "Calls in flight (closed loop)")
      ->check(CLI::Range(1, 4096));
  app.add_option("--rate", rate, "Calls started per second (open loop); 0: closed loop")
      ->check(CLI::Range(0.0, 1e6));
  app.add_option("--max_in_flight", max_in_flight, "Open loop: calls beyond it count as refused")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  app.add_option("--seconds", seconds, "Measured time")->check(CLI::Range(1, 3600));
  app.add_option("--warmup_seconds", warmup_seconds)->check(CLI::Range(0, 600));
  app.add_option("--channels", channels, "gRPC channels (connections)")->check(CLI::Range(1, 64));
  app.add_option("--duplicate_percent", options.duplicate_percent)->check(CLI::Range(0, 100));
  app.add_option("--deadline_ms", options.deadline_ms)->check(CLI::Range(1, 600000));
  app.add_option("--run_id", options.run_id, "Prefix of the request ids (unique per run)");
  std::string queues = "general,billing";
  app.add_option("--queues", queues, "claim: queues to take complaints from, comma separated");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  options.keys = SplitKeys(keys);
  options.queues = SplitKeys(queues);
  if (options.keys.empty()) {
    std::cerr << "error: --api_key: no key given\n";
    return 2;
  }

  std::vector<std::shared_ptr<grpc::Channel>> chans;
  for (int i = 0; i < channels; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", i);  // distinct connections, not one shared subchannel
    chans.push_back(grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args));
  }
  Load load(chans, options);
  std::atomic<bool> stop{false};
  int64_t refused_by_client = 0;
  Clock::time_point measured_start;
  // Closed loop: each worker starts its next call when the last one ends.
  // (Outlives every call: the last callbacks still reach it.)
  std::function<void(uint64_t)> run;
  if (rate <= 0) {
    run = [&](uint64_t worker) {
      if (stop.load()) return;
      load.Start(worker, Clock::now(), [&run, worker] { run(worker); });
    };
    for (int w = 0; w < concurrency; ++w) run(static_cast<uint64_t>(w));
    std::this_thread::sleep_for(std::chrono::seconds(warmup_seconds));
    load.SetRecording(true);
    measured_start = Clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    load.SetRecording(false);
    stop = true;
  } else {
    // Open loop: call i is due at start + i / rate.
    const auto start = Clock::now();
    const auto period = std::chrono::duration<double>(1.0 / rate);
    const auto warm_end = start + std::chrono::seconds(warmup_seconds);
    const auto end = warm_end + std::chrono::seconds(seconds);
    measured_start = warm_end;
    bool recording = false;
    for (uint64_t i = 0;; ++i) {
      const auto due = start + std::chrono::duration_cast<Clock::duration>(period * i);
      if (due >= end) break;
      if (!recording && due >= warm_end) {
        load.SetRecording(recording = true);
      }
      std::this_thread::sleep_until(due);
      if (load.InFlight() >= max_in_flight) {
        if (recording) ++refused_by_client;
        continue;
      }
      load.Start(i, due, nullptr);
    }
    load.SetRecording(false);
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - measured_start).count();
  load.WaitIdle();

  Results& r = load.results();
  std::sort(r.latencies_ms.begin(), r.latencies_ms.end());
  auto pct = [&](double p) {
    if (r.latencies_ms.empty()) return 0.0;
    return r.latencies_ms[std::min(r.latencies_ms.size() - 1,
                                   static_cast<size_t>(p * r.latencies_ms.size()))];
  };
  int64_t claimed = 0;
  for (const auto& [id, times] : r.claimed) claimed += times;
  std::ostringstream out;
  out << "{\"rpc\":\"" << options.rpc << "\",\"mode\":\"" << (rate > 0 ? "open" : "closed")
      << "\",\"concurrency\":" << (rate > 0 ? 0 : concurrency) << ",\"rate\":" << rate
      << ",\"seconds\":" << elapsed << ",\"calls\":" << r.latencies_ms.size()
      << ",\"ok\":" << r.codes[0] << ",\"ok_new\":" << r.ok_new
      << ",\"ok_duplicate\":" << r.ok_duplicate << ",\"all_ok\":" << r.all_ok
      << ",\"all_ok_new\":" << r.all_ok_new << ",\"claimed\":" << claimed
      << ",\"claimed_distinct\":" << r.claimed.size()
      << ",\"refused_by_client\":" << refused_by_client << ",\"errors\":{";
  bool first = true;
  for (const auto& [code, n] : r.codes) {
    if (code == 0) continue;
    out << (first ? "" : ",") << "\"" << code << "\":" << n;
    first = false;
  }
  out << "},\"calls_per_s\":" << static_cast<int64_t>(r.latencies_ms.size() / elapsed)
      << ",\"p50_ms\":" << pct(0.5) << ",\"p99_ms\":" << pct(0.99)
      << ",\"p999_ms\":" << pct(0.999)
      << ",\"max_ms\":" << (r.latencies_ms.empty() ? 0.0 : r.latencies_ms.back()) << "}";
  std::cout << out.str() << std::endl;
  const bool all_ok = r.codes.size() == 1 && r.codes.count(0) && refused_by_client == 0;
  return all_ok ? 0 : 1;
}
