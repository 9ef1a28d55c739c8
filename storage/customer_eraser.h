#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "storage/connection_pool.h"

namespace feedback::storage {

struct ErasureCounts {
  int64_t feedback_rows = 0;
  int64_t complaints = 0;
};

// GDPR art. 17 erasure of one customer, in one transaction: phone, email,
// name, comments, complaint descriptions, note and follow-up texts, and the
// customer_id itself are removed from feedback, complaints, notes and
// follow-ups; scores, times and categories stay, anonymous, so reports stay
// right. The admin audit records the SHA-256 of the customer id only.
// Idempotent: a second run finds nothing and changes nothing else.
class CustomerEraser {
 public:
  explicit CustomerEraser(ConnectionPool& pool) : pool_(pool) {}

  absl::StatusOr<ErasureCounts> Erase(const std::string& customer_id, const std::string& actor);

 private:
  ConnectionPool& pool_;
};

}  // namespace feedback::storage
