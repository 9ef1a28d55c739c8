#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "migrations/embedded_migrations.h"
#include "storage/connection_pool.h"

namespace feedback::storage {

// Applies forward-only schema migrations and checks that the database is
// current. Progress is recorded in schema_migrations (version, name, SHA-256
// checksum). Safe to run from several processes at once: the work happens
// under a PostgreSQL advisory lock.
class Migrator {
 public:
  Migrator(ConnectionPool& pool, std::vector<migrations::Migration> migrations);

  // Applies every pending migration, each in its own transaction. Returns
  // how many were applied. FAILED_PRECONDITION when an applied migration's
  // file was edited since (nothing is applied then); UNAVAILABLE when the
  // database cannot be reached.
  absl::StatusOr<int> Apply();

  // OK when every migration is applied unchanged. FAILED_PRECONDITION when
  // one was edited; UNAVAILABLE when one is pending or the database is down.
  absl::Status CheckCurrent();

 private:
  ConnectionPool& pool_;
  std::vector<migrations::Migration> migrations_;
};

}  // namespace feedback::storage
