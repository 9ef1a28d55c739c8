#pragma once

#include <functional>
#include <string>
#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "storage/complaint_store.h"

namespace feedback::storage {

// Follows complaint events committed by any server replica: LISTENs on the
// channel the complaint_events trigger NOTIFYs (delivered at commit, in
// commit order), reads each event and hands it to `sink` on its own thread.
// Reconnects by itself after losing the database; events committed while
// disconnected are not replayed (watchers re-list after a gap).
class ComplaintEventListener {
 public:
  using Sink = std::function<void(const ComplaintEventRecord&)>;

  ComplaintEventListener(std::string database_url, ComplaintStore& store, Sink sink);
  ~ComplaintEventListener();  // stops and joins

  // True once LISTEN is in place (tests wait for it).
  bool listening() const { return listening_.load(); }

 private:
  void Run();

  const std::string database_url_;
  ComplaintStore& store_;
  const Sink sink_;
  std::atomic<bool> listening_{false};
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace feedback::storage
