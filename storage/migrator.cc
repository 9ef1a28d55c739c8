#include "storage/migrator.h"

#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "domain/sha256.h"
#include "spdlog/spdlog.h"
#include "storage/pg_status.h"

namespace feedback::storage {
namespace {

// Any fixed number shared by every process that migrates this schema.
constexpr long long kMigrationLockId = 0x6665656462616b31;  // "feedbak1"

constexpr char kCreateTable[] = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version     integer     PRIMARY KEY,
  name        text        NOT NULL,
  checksum    text        NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
))sql";

constexpr char kSelectApplied[] =
    "SELECT version, checksum FROM schema_migrations ORDER BY version";


constexpr char kInsertApplied[] =
    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)";

std::string Checksum(const migrations::Migration& m) {
  return domain::HexEncode(domain::Sha256(m.sql));
}

// Compares what the database recorded with the migrations at hand. Returns
// the versions still pending, or FAILED_PRECONDITION for an edited file.
absl::StatusOr<std::vector<const migrations::Migration*>> Pending(
    const std::vector<migrations::Migration>& all, const std::map<int, std::string>& applied) {
  std::vector<const migrations::Migration*> pending;
  for (const auto& m : all) {
    auto it = applied.find(m.version);
    if (it == applied.end()) {
      pending.push_back(&m);
    } else if (it->second != Checksum(m)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "migration ", m.name, " was edited after it was applied; migrations are "
          "forward-only: restore the file and add a new migration instead"));
    }
  }
  return pending;
}

std::map<int, std::string> ReadApplied(pqxx::transaction_base& tx, const char* sql) {
  std::map<int, std::string> applied;
  for (const auto& row : tx.exec(sql)) {
    applied.emplace(row[0].as<int>(), row[1].as<std::string>());
  }
  return applied;
}

}  // namespace

Migrator::Migrator(ConnectionPool& pool, std::vector<migrations::Migration> migrations)
    : pool_(pool), migrations_(std::move(migrations)) {}

absl::StatusOr<int> Migrator::Apply() {
  absl::StatusOr<PooledConnection> conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  bool locked = false;
  try {
    conn->LimitStatementsTo(absl::InfiniteFuture());
    {
      pqxx::nontransaction tx(conn->get());
      tx.exec(absl::StrCat("SELECT pg_advisory_lock(", kMigrationLockId, ")"));
      locked = true;
      tx.exec(kCreateTable);
    }
    std::map<int, std::string> applied;
    {
      pqxx::read_transaction tx(conn->get());
      applied = ReadApplied(tx, kSelectApplied);
    }
    absl::StatusOr<std::vector<const migrations::Migration*>> pending =
        Pending(migrations_, applied);
    int count = 0;
    if (pending.ok()) {
      for (const migrations::Migration* m : *pending) {
        pqxx::work tx(conn->get());
        tx.exec(m->sql);
        tx.exec_params(kInsertApplied, m->version, m->name, Checksum(*m));
        tx.commit();
        spdlog::info("migration applied: {}", m->name);
        ++count;
      }
    }
    {
      pqxx::nontransaction tx(conn->get());
      tx.exec(absl::StrCat("SELECT pg_advisory_unlock(", kMigrationLockId, ")"));
    }
    if (!pending.ok()) return pending.status();
    return count;
  } catch (const std::exception& e) {
    // Closing the session releases the advisory lock if it is still held.
    if (locked) conn->MarkBroken();
    absl::Status status = StatusFromException(e);
    if (IsConnectionLoss(status)) conn->MarkBroken();
    if (absl::IsInternal(status)) {
      return absl::InternalError(absl::StrCat("migration failed: ", e.what()));
    }
    return status;
  }
}

absl::Status Migrator::CheckCurrent() {
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::Status {
    pqxx::read_transaction tx(conn.get());
    const auto exists = tx.exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
    std::map<int, std::string> applied;
    if (exists[0][0].as<bool>()) applied = ReadApplied(tx, kSelectApplied);
    absl::StatusOr<std::vector<const migrations::Migration*>> pending =
        Pending(migrations_, applied);
    if (!pending.ok()) return pending.status();
    if (!pending->empty()) {
      return absl::UnavailableError(absl::StrCat(
          pending->size(), " migration(s) pending, first ", pending->front()->name,
          "; run `feedbackd migrate`"));
    }
    return absl::OkStatus();
  });
}

}  // namespace feedback::storage
