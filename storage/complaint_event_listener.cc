#include "storage/complaint_event_listener.h"

#include <pqxx/connection>
#include <pqxx/notification>

#include <deque>

#include "absl/strings/numbers.h"
#include "spdlog/spdlog.h"

namespace feedback::storage {
namespace {

constexpr char kChannel[] = "complaint_events";

class IdCollector final : public pqxx::notification_receiver {
 public:
  IdCollector(pqxx::connection_base& conn, std::deque<int64_t>& ids)
      : pqxx::notification_receiver(conn, kChannel), ids_(ids) {}
  void operator()(const std::string& payload, int) override {
    int64_t id = 0;
    if (absl::SimpleAtoi(payload, &id)) ids_.push_back(id);
  }

 private:
  std::deque<int64_t>& ids_;
};

}  // namespace

ComplaintEventListener::ComplaintEventListener(std::string database_url, ComplaintStore& store,
                                               Sink sink)
    : database_url_(std::move(database_url)), store_(store), sink_(std::move(sink)) {
  thread_ = std::thread([this] { Run(); });
}

ComplaintEventListener::~ComplaintEventListener() {
  stop_.Notify();
  thread_.join();
}

void ComplaintEventListener::Run() {
  while (!stop_.HasBeenNotified()) {
    try {
      pqxx::connection conn(database_url_);
      std::deque<int64_t> ids;
      IdCollector collector(conn, ids);
      conn.get_notifs();  // LISTEN is sent here at the latest
      listening_ = true;
      while (!stop_.HasBeenNotified()) {
        conn.await_notification(0, 250000);
        while (!ids.empty()) {
          const int64_t id = ids.front();
          ids.pop_front();
          absl::StatusOr<std::optional<ComplaintEventRecord>> event = store_.GetEvent(id);
          if (event.ok() && event->has_value()) {
            sink_(**event);
          } else if (!event.ok()) {
            spdlog::warn("complaint event {} not delivered: {}", id, event.status().ToString());
          }
        }
      }
    } catch (const std::exception& e) {
      listening_ = false;
      spdlog::warn("complaint event listener lost the database; reconnecting");
      stop_.WaitForNotificationWithTimeout(absl::Seconds(1));
    }
  }
  listening_ = false;
}

}  // namespace feedback::storage
