#pragma once

#include <functional>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "storage/complaint_store.h"

namespace feedback::storage {

// What a replica learns from the other replicas through PostgreSQL
// LISTEN/NOTIFY (delivered at commit, in commit order).
struct NotificationSinks {
  // A committed complaint event (channel complaint_events, from a trigger).
  std::function<void(const ComplaintEventRecord&)> complaint_event;
  // Whether anyone takes complaint events now; when it says no, the
  // listener does not read them from the database (unset: always).
  std::function<bool()> wants_complaint_events;
  // A revoked API key's SHA-256, hex (channel api_key_revoked).
  std::function<void(const std::string& key_hash_hex)> key_revoked;
  // The connection was (re)established: notifications sent while it was
  // down are lost, so caches fed by them must be dropped.
  std::function<void()> reconnected;
};

// One LISTEN connection per replica, on its own thread; reconnects by
// itself after losing the database.
class NotificationListener {
 public:
  NotificationListener(std::string database_url, ComplaintStore& store, NotificationSinks sinks);
  ~NotificationListener();  // stops and joins

 private:
  void Run();

  const std::string database_url_;
  ComplaintStore& store_;
  const NotificationSinks sinks_;
  absl::Notification stop_;
  std::thread thread_;
};

// The channel RevokeApiKey notifies.
inline constexpr char kKeyRevokedChannel[] = "api_key_revoked";

}  // namespace feedback::storage
