#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "storage/complaint_store.h"

namespace feedback::services {

// Receives complaint events and passes each to the watchers of its queue.
// Delivery never blocks: a watcher buffers what it cannot send yet and
// gives up when too far behind. Thread-safe.
class WatchHub {
 public:
  // One watcher. Deliver() runs on the publishing thread and must not block.
  class Watcher {
   public:
    virtual ~Watcher() = default;
    virtual void Deliver(const storage::ComplaintEventRecord& event) = 0;
    // Ends the watch (server shutdown). Must not block.
    virtual void Close() = 0;
  };

  // A registration; detaching it guarantees no Deliver() is running or
  // will run for it afterwards.
  class Subscription {
   public:
    Subscription(std::set<std::string> queues, Watcher* watcher)
        : queues_(std::move(queues)), watcher_(watcher) {}
    void Detach() {
      absl::MutexLock lock(&mu_);
      watcher_ = nullptr;
    }

   private:
    friend class WatchHub;
    const std::set<std::string> queues_;  // empty: all queues
    absl::Mutex mu_;
    Watcher* watcher_ ABSL_GUARDED_BY(mu_);
  };

  // Watches `queues` (all queues when empty).
  std::shared_ptr<Subscription> Subscribe(std::set<std::string> queues, Watcher* watcher);
  void Unsubscribe(const std::shared_ptr<Subscription>& subscription);
  void Publish(const storage::ComplaintEventRecord& event);
  // Whether any watcher is subscribed.
  bool HasSubscribers();
  // Closes every watcher (on shutdown, so streams do not hold it up).
  void CloseAll();

 private:
  absl::Mutex mu_;
  std::vector<std::shared_ptr<Subscription>> subscriptions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace feedback::services
