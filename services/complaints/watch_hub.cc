#include "services/complaints/watch_hub.h"

#include <algorithm>

namespace feedback::services {

std::shared_ptr<WatchHub::Subscription> WatchHub::Subscribe(std::set<std::string> queues,
                                                            Watcher* watcher) {
  auto subscription = std::make_shared<Subscription>(std::move(queues), watcher);
  absl::MutexLock lock(&mu_);
  subscriptions_.push_back(subscription);
  return subscription;
}

void WatchHub::Unsubscribe(const std::shared_ptr<Subscription>& subscription) {
  subscription->Detach();
  absl::MutexLock lock(&mu_);
  subscriptions_.erase(std::remove(subscriptions_.begin(), subscriptions_.end(), subscription),
                       subscriptions_.end());
}

void WatchHub::Publish(const storage::ComplaintEventRecord& event) {
  std::vector<std::shared_ptr<Subscription>> targets;
  {
    absl::MutexLock lock(&mu_);
    targets = subscriptions_;
  }
  // Deliver without the hub's lock, so a watcher finishing meanwhile can
  // unsubscribe.
  for (const auto& s : targets) {
    if (!s->queues_.empty() && s->queues_.count(event.queue) == 0) continue;
    absl::MutexLock lock(&s->mu_);
    if (s->watcher_ != nullptr) s->watcher_->Deliver(event);
  }
}

bool WatchHub::HasSubscribers() {
  absl::MutexLock lock(&mu_);
  return !subscriptions_.empty();
}

void WatchHub::CloseAll() {
  std::vector<std::shared_ptr<Subscription>> targets;
  {
    absl::MutexLock lock(&mu_);
    targets = subscriptions_;
  }
  for (const auto& s : targets) {
    absl::MutexLock lock(&s->mu_);
    if (s->watcher_ != nullptr) s->watcher_->Close();
  }
}

}  // namespace feedback::services
