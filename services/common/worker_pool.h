#pragma once

#include <cstddef>
#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace feedback::services {

// A fixed set of threads for blocking work that must not run on gRPC's
// callback threads. The queue is bounded. Thread-safe.
class WorkerPool {
 public:
  WorkerPool(int threads, size_t queue_capacity);
  ~WorkerPool();  // runs what is queued, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false (and `task` is dropped unrun) when the queue is full
  // or the pool is stopping.
  bool TrySubmit(absl::AnyInvocable<void() &&> task);

 private:
  void Run();

  const size_t capacity_;
  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace feedback::services
