#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/connection_pool.h"

namespace pqxx {
class transaction_base;
}

namespace feedback::storage::fold {

// What one FoldOnce did.
struct FoldResult {
  int64_t facts = 0;        // fact rows (scores, complaint versions) in the window
  bool caught_up = false;   // the window reached the horizon (nothing more can be folded now)
  bool tail_empty = false;  // no fact past the new watermark in this fold's snapshot
  bool locked_out = false;  // another folder holds the lock; nothing was done
};

// How far the fold is behind the facts, in one snapshot.
struct FoldStatus {
  std::string watermark;       // every fact of a transaction below it is folded
  std::string horizon;         // the oldest transaction still running (xmin)
  int64_t tail_facts = 0;      // fact rows at or past the watermark
  double lag_seconds = 0;      // age of the oldest of them (0 when none)
  double oldest_writer_seconds = 0;  // the longest-running transaction holding an xid
  absl::Time folded_at;        // the last fold that moved the watermark
  int64_t facts_folded = 0;    // since the migration
};

// The one engine that writes the derived tables of the registry
// (storage/fold/registry.h). A window [watermark, horizon) of at most
// `max_facts` fact rows (more when one transaction wrote more) is folded in
// one REPEATABLE READ transaction that also moves the watermark, under a
// PostgreSQL advisory lock: one folder works at a time across every server
// on the database, and each fact is folded exactly once. Thread-safe.
class Folder {
 public:
  Folder(ConnectionPool& pool, int64_t max_facts = 20000) : pool_(pool), max_facts_(max_facts) {}

  // Folds the next window, if this folder gets the lock.
  absl::StatusOr<FoldResult> FoldOnce();
  // Folds window after window (waiting for the lock) until caught up;
  // while running transactions hold the horizon below facts that are
  // already there, waits up to `wait_for_writers` for them to end. Returns
  // the fact rows folded.
  absl::StatusOr<int64_t> CatchUp(absl::Duration wait_for_writers = absl::ZeroDuration());

  absl::StatusOr<FoldStatus> Status();

  // Per derived table, how many rows differ from a recount of the facts as
  // of the watermark (only the tables that differ are listed; empty when
  // consistent). Reads one snapshot; writers and the folder go on.
  absl::StatusOr<std::map<std::string, int64_t>> Check();
  // Recounts every derived table from the facts (the folder waits);
  // returns the rows written.
  absl::StatusOr<int64_t> Rebuild();
  // Makes `zone` a report zone, its rows of every per-zone table filled as
  // of the watermark. False when it was one already; INVALID_ARGUMENT for
  // an unknown zone.
  absl::StatusOr<bool> AddReportZone(const std::string& zone);

  // Removes customer_id from every derived table, in `tx`, whose caller
  // holds the fold lock (WithFoldLock) and has erased the facts.
  static void EraseCustomer(pqxx::transaction_base& tx, const std::string& customer_id);

 private:
  ConnectionPool& pool_;
  const int64_t max_facts_;
};

// Runs `fn()` holding the fold lock on `conn` (a session-level advisory
// lock, taken before fn's transaction begins so its snapshot sees the last
// fold): waits for it when `wait`, else returns false at once when another
// session holds it. A connection that fails meanwhile is marked broken, so
// the lock goes with it.
bool WithFoldLock(PooledConnection& conn, bool wait, absl::FunctionRef<void()> fn);

}  // namespace feedback::storage::fold
