#include "storage/connection_pool.h"

#include <pqxx/connection>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <unordered_set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"
#include "storage/pg_status.h"

namespace feedback::storage {

struct PooledConnection::Slot {
  std::unique_ptr<pqxx::connection> conn;
  std::unordered_set<std::string> prepared;
  int64_t statement_timeout_ms = 0;  // 0: none
};

PooledConnection::PooledConnection(ConnectionPool& pool, std::unique_ptr<Slot> slot)
    : pool_(&pool), slot_(std::move(slot)) {}

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      slot_(std::move(other.slot_)),
      broken_(other.broken_) {}

PooledConnection::~PooledConnection() {
  if (pool_ != nullptr && slot_ != nullptr) pool_->Release(std::move(slot_), broken_);
}

pqxx::connection_base& PooledConnection::get() { return *slot_->conn; }

void PooledConnection::Prepare(const char* name, const char* sql) {
  if (slot_->prepared.insert(name).second) {
    try {
      slot_->conn->prepare(name, sql);
    } catch (...) {
      slot_->prepared.erase(name);
      throw;
    }
  }
}

int64_t StatementTimeoutMs(absl::Duration left) {
  const int64_t ms = std::clamp<int64_t>(absl::ToInt64Milliseconds(left), 1,
                                         std::numeric_limits<int32_t>::max());
  // Rounded down to a step of at most a tenth, so calls with similar
  // deadlines share one setting and skip the round trip that changes it.
  for (int64_t step : {1000, 100, 10}) {
    if (ms >= 10 * step) return ms / step * step;
  }
  return ms;
}

void PooledConnection::LimitStatementsTo(absl::Time deadline) {
  const int64_t ms =
      deadline == absl::InfiniteFuture() ? 0 : StatementTimeoutMs(deadline - absl::Now());
  if (ms == slot_->statement_timeout_ms) return;
  slot_->conn->set_variable("statement_timeout", std::to_string(ms));
  slot_->statement_timeout_ms = ms;
}

ConnectionPool::ConnectionPool(PoolOptions options) : options_(std::move(options)) {}

ConnectionPool::~ConnectionPool() {
  absl::MutexLock lock(&mu_);
  idle_.clear();
}

absl::StatusOr<PooledConnection> ConnectionPool::Acquire() {
  const absl::Time deadline = absl::Now() + options_.acquire_timeout;
  {
    absl::MutexLock lock(&mu_);
    auto can_proceed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < options_.size;
    };
    if (!mu_.AwaitWithDeadline(absl::Condition(&can_proceed), deadline)) {
      return absl::UnavailableError("database: no free connection (pool exhausted)");
    }
    if (!idle_.empty()) {
      std::unique_ptr<PooledConnection::Slot> slot = std::move(idle_.back());
      idle_.pop_back();
      return PooledConnection(*this, std::move(slot));
    }
    if (absl::Now() - last_connect_failure_ < options_.reconnect_backoff) {
      return absl::UnavailableError(
          absl::StrCat("database unavailable: ", last_connect_error_));
    }
    ++open_;  // reserve the place while connecting without the lock
  }
  auto slot = std::make_unique<PooledConnection::Slot>();
  try {
    slot->conn = std::make_unique<pqxx::connection>(options_.database_url);
  } catch (const std::exception& e) {
    // libpq's message may name the host, never a password; keep one line.
    std::string message = e.what();
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    for (char& c : message) {
      if (c == '\n') c = ' ';
    }
    absl::MutexLock lock(&mu_);
    --open_;
    last_connect_failure_ = absl::Now();
    last_connect_error_ = message;
    return absl::UnavailableError(absl::StrCat("database unavailable: ", message));
  }
  return PooledConnection(*this, std::move(slot));
}

void ConnectionPool::Release(std::unique_ptr<PooledConnection::Slot> slot, bool broken) {
  if (broken || !slot->conn->is_open()) {
    // A lost connection usually means the others are lost too (database
    // restart, failover, terminated backends): drop the idle ones as well so
    // the next caller gets a fresh connection instead of another dead one.
    std::vector<std::unique_ptr<PooledConnection::Slot>> closing;
    {
      absl::MutexLock lock(&mu_);
      open_ -= 1 + static_cast<int>(idle_.size());
      closing.swap(idle_);
    }
    return;  // `slot` and `closing` close outside the lock
  }
  absl::MutexLock lock(&mu_);
  idle_.push_back(std::move(slot));
}

}  // namespace feedback::storage
