#include "storage/pg_status.h"

#include <pqxx/except>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace feedback::storage {
namespace {

constexpr char kConnectionLost[] = "database connection lost";

// SQLSTATE classes that mean the session is gone or the server is going
// away: 08 connection exception, 57P01-57P03 admin/crash shutdown,
// cannot connect now.
bool IsConnectionSqlState(const std::string& state) {
  return absl::StartsWith(state, "08") || state == "57P01" || state == "57P02" ||
         state == "57P03";
}

}  // namespace

absl::Status StatusFromException(const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    return absl::UnavailableError(kConnectionLost);
  }
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    return absl::UnavailableError(
        "database connection lost during commit; outcome unknown, retry with the same "
        "request_id");
  }
  if (dynamic_cast<const pqxx::serialization_failure*>(&e) != nullptr ||
      dynamic_cast<const pqxx::deadlock_detected*>(&e) != nullptr) {
    return absl::AbortedError("database transaction conflict");
  }
  if (dynamic_cast<const pqxx::unique_violation*>(&e) != nullptr) {
    return absl::AlreadyExistsError("database unique constraint violated");
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    if (IsConnectionSqlState(sql->sqlstate())) {
      return absl::UnavailableError(kConnectionLost);
    }
    if (sql->sqlstate() == "57014") {
      return absl::DeadlineExceededError("database statement timed out");
    }
    return absl::InternalError(absl::StrCat("database error ", sql->sqlstate()));
  }
  return absl::InternalError(absl::StrCat("database client error: ", e.what()));
}

bool IsConnectionLoss(const absl::Status& status) {
  return absl::IsUnavailable(status);
}

}  // namespace feedback::storage
