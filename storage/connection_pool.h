#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace pqxx {
class connection_base;
}

namespace feedback::storage {

struct PoolOptions {
  // A libpq connection string or postgresql:// URL.
  std::string database_url;
  // Most connections open at once.
  int size = 8;
  // How long Acquire waits for a free connection.
  absl::Duration acquire_timeout = absl::Seconds(2);
  // After a failed connect, calls fail at once for this long instead of each
  // waiting for its own connect attempt.
  absl::Duration reconnect_backoff = absl::Milliseconds(250);
};

// The statement_timeout for a call with `left` until its deadline: at
// least 1 ms, rounded down to a step of at most a tenth of it (whole
// seconds from 10 s, tenths from 1 s, hundredths from 100 ms), so it never
// ends later than the deadline and calls with similar deadlines share one
// setting.
int64_t StatementTimeoutMs(absl::Duration left);

class ConnectionPool;

// One pooled connection, returned to the pool when destroyed. Not
// thread-safe: one user at a time, like the connection itself.
class PooledConnection {
 public:
  struct Slot;  // the connection and what has been prepared on it

  PooledConnection(PooledConnection&& other) noexcept;
  PooledConnection& operator=(PooledConnection&&) = delete;
  ~PooledConnection();

  pqxx::connection_base& get();

  // Prepares `sql` under `name` on this connection unless already done.
  void Prepare(const char* name, const char* sql);

  // Makes the statements that follow on this connection end (PostgreSQL's
  // statement_timeout) by `deadline` (StatementTimeoutMs of what is left);
  // InfiniteFuture lifts the limit. Costs a round trip only when the
  // setting changes.
  void LimitStatementsTo(absl::Time deadline);
  // Marks the connection as unusable: the pool closes it instead of reusing.
  void MarkBroken() { broken_ = true; }

 private:
  friend class ConnectionPool;
  PooledConnection(ConnectionPool& pool, std::unique_ptr<Slot> slot);

  ConnectionPool* pool_;
  std::unique_ptr<Slot> slot_;
  bool broken_ = false;
};

// A bounded pool of PostgreSQL connections. A broken connection is dropped
// together with every idle one, and connections are reopened on demand, so
// the pool heals as soon as the database is back.
// Thread-safe.
class ConnectionPool {
 public:
  explicit ConnectionPool(PoolOptions options);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A connection, or UNAVAILABLE when the database cannot be reached or no
  // connection frees up within acquire_timeout.
  absl::StatusOr<PooledConnection> Acquire();

 private:
  friend class PooledConnection;
  void Release(std::unique_ptr<PooledConnection::Slot> slot, bool broken);

  const PoolOptions options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<PooledConnection::Slot>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + leased + being opened
  absl::Time last_connect_failure_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string last_connect_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace feedback::storage
