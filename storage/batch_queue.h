#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace feedback::storage {

struct BatchQueueOptions {
  // Most jobs waiting; beyond it Enqueue refuses.
  size_t capacity = 20000;
  // Most jobs handed to one call of the handler.
  size_t max_batch = 500;
  // Threads calling the handler (each usually holds one database
  // connection while it runs).
  int threads = 2;
};

// Groups concurrent jobs into batches: each thread takes whatever is queued
// (up to max_batch; no timer, so a lone job runs at once) and hands it to
// the handler, which must see to every job's outcome. While one batch is
// being handled the next ones gather, so the batch size follows the load.
// Thread-safe; the handler runs on several threads at once.
template <typename Job>
class BatchQueue {
 public:
  using Handler = absl::AnyInvocable<void(std::vector<Job>&) const>;

  // `what` names the queue in the RESOURCE_EXHAUSTED message.
  BatchQueue(BatchQueueOptions options, std::string what, Handler handler)
      : options_(options), what_(std::move(what)), handler_(std::move(handler)) {
    for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { Run(); });
  }
  ~BatchQueue() { Stop(); }
  BatchQueue(const BatchQueue&) = delete;
  BatchQueue& operator=(const BatchQueue&) = delete;

  // Queues all of `jobs` (leaving it empty) or none: RESOURCE_EXHAUSTED when
  // they do not fit, UNAVAILABLE after Stop().
  absl::Status Enqueue(std::vector<Job>& jobs) {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::UnavailableError("server is shutting down");
    if (queue_.size() + jobs.size() > options_.capacity) {
      return absl::ResourceExhaustedError(
          absl::StrCat("server overloaded: ", what_, " full, retry later"));
    }
    for (Job& job : jobs) queue_.push_back(std::move(job));
    jobs.clear();
    return absl::OkStatus();
  }

  // Handles everything already queued, then stops the threads.
  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_ && threads_.empty()) return;
      stopping_ = true;
    }
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

 private:
  void Run() {
    std::vector<Job> batch;
    for (;;) {
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return !queue_.empty() || stopping_;
        };
        mu_.Await(absl::Condition(&ready));
        if (queue_.empty()) return;  // stopping and drained
        const size_t n = std::min(queue_.size(), options_.max_batch);
        for (size_t i = 0; i < n; ++i) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      handler_(batch);
      batch.clear();
    }
  }

  const BatchQueueOptions options_;
  const std::string what_;
  const Handler handler_;
  absl::Mutex mu_;
  std::deque<Job> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;  // last: they use everything above
};

}  // namespace feedback::storage
