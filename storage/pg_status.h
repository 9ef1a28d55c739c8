#pragma once

#include <exception>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/connection_pool.h"
#include "storage/statement_deadline.h"

namespace feedback::storage {

// Turns an exception thrown by libpqxx (or the standard library) into a
// Status: lost or unusable connections and an unknown commit outcome ->
// UNAVAILABLE; serialization failures and deadlocks -> ABORTED; unique
// violations -> ALREADY_EXISTS; anything else -> INTERNAL. The message never
// contains query parameters.
absl::Status StatusFromException(const std::exception& e);

// True when `status` means the connection it came from must be discarded.
bool IsConnectionLoss(const absl::Status& status);

// Runs `fn(PooledConnection&)` on a pooled connection and returns its
// result; exceptions become a Status (see StatusFromException) and a lost
// connection is discarded instead of being returned to the pool. Honours
// the thread's ScopedStatementDeadline: DEADLINE_EXCEEDED without touching
// the database once it has passed, and statements cut off when it passes.
template <typename Fn>
auto RunWithConnection(ConnectionPool& pool, Fn&& fn)
    -> decltype(fn(std::declval<PooledConnection&>())) {
  const absl::Time deadline = CurrentStatementDeadline();
  if (deadline <= absl::Now()) {
    return absl::DeadlineExceededError("deadline passed before the database was reached");
  }
  absl::StatusOr<PooledConnection> conn = pool.Acquire();
  if (!conn.ok()) return conn.status();
  try {
    conn->LimitStatementsTo(deadline);
    return fn(*conn);
  } catch (const std::exception& e) {
    absl::Status status = StatusFromException(e);
    if (IsConnectionLoss(status)) conn->MarkBroken();
    return status;
  }
}

}  // namespace feedback::storage
