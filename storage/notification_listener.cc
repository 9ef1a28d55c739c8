#include "storage/notification_listener.h"

#include <pqxx/connection>
#include <pqxx/notification>

#include <deque>

#include "absl/strings/numbers.h"
#include "spdlog/spdlog.h"

namespace feedback::storage {
namespace {

// Collects payloads of one channel for the listener's loop.
class Collector final : public pqxx::notification_receiver {
 public:
  Collector(pqxx::connection_base& conn, const char* channel, std::deque<std::string>& payloads)
      : pqxx::notification_receiver(conn, channel), payloads_(payloads) {}
  void operator()(const std::string& payload, int) override { payloads_.push_back(payload); }

 private:
  std::deque<std::string>& payloads_;
};

}  // namespace

NotificationListener::NotificationListener(std::string database_url, ComplaintStore& store,
                                           NotificationSinks sinks)
    : database_url_(std::move(database_url)), store_(store), sinks_(std::move(sinks)) {
  thread_ = std::thread([this] { Run(); });
}

NotificationListener::~NotificationListener() {
  stop_.Notify();
  thread_.join();
}

void NotificationListener::Run() {
  while (!stop_.HasBeenNotified()) {
    try {
      pqxx::connection conn(database_url_);
      std::deque<std::string> events, revoked;
      Collector event_collector(conn, "complaint_events", events);
      Collector key_collector(conn, kKeyRevokedChannel, revoked);
      conn.get_notifs();  // LISTEN is sent here at the latest
      if (sinks_.reconnected) sinks_.reconnected();
      while (!stop_.HasBeenNotified()) {
        conn.await_notification(0, 250000);
        for (; !revoked.empty(); revoked.pop_front()) {
          if (sinks_.key_revoked) sinks_.key_revoked(revoked.front());
        }
        // Everything that arrived together is read in one query.
        std::vector<int64_t> ids;
        for (; !events.empty(); events.pop_front()) {
          int64_t id = 0;
          if (absl::SimpleAtoi(events.front(), &id)) ids.push_back(id);
        }
        if (ids.empty() || !sinks_.complaint_event) continue;
        if (sinks_.wants_complaint_events && !sinks_.wants_complaint_events()) continue;
        absl::StatusOr<std::vector<ComplaintEventRecord>> read = store_.GetEvents(ids);
        if (!read.ok()) {
          spdlog::warn("{} complaint event(s) not delivered: {}", ids.size(),
                       read.status().ToString());
          continue;
        }
        for (const ComplaintEventRecord& event : *read) sinks_.complaint_event(event);
      }
    } catch (const std::exception& e) {
      spdlog::warn("notification listener lost the database; reconnecting");
      stop_.WaitForNotificationWithTimeout(absl::Seconds(1));
    }
  }
}

}  // namespace feedback::storage
