#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "domain/api_keys.h"

namespace feedback::domain {

// Function-level access: OK when `caller`'s role may call `rpc`
// ("feedback.v1.ComplaintService/GetComplaint"); PERMISSION_DENIED
// otherwise, also for RPCs missing from the table (deny by default). The
// table in access.cc is the one place these rights are written down.
absl::Status AuthorizeRpc(std::string_view rpc, const Caller& caller);

// Object-level access to complaints: agents see only their queues; every
// other role that may call a complaint RPC sees all queues.
class QueueScope {
 public:
  static QueueScope All() { return QueueScope(true, {}); }
  static QueueScope Of(const Caller& caller);

  bool all() const { return all_; }
  const std::vector<std::string>& queues() const { return queues_; }
  bool Allows(std::string_view queue) const;

  // The answer for a complaint outside the scope, identical to the one for
  // a complaint that does not exist, so ids cannot be probed.
  static absl::Status Denied();

 private:
  QueueScope(bool all, std::vector<std::string> queues)
      : all_(all), queues_(std::move(queues)) {}
  bool all_;
  std::vector<std::string> queues_;
};

}  // namespace feedback::domain
