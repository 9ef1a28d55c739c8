#include "storage/fold/folder.h"

#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

#include <span>

#include "absl/time/civil_time.h"
#include "storage/fold/registry.h"
#include "storage/pg_status.h"

namespace feedback::storage::fold {
namespace {

// The advisory lock every writer of derived tables holds ("fold").
constexpr int64_t kFoldLock = 0x666f6c64;

constexpr char kLock[] = "SELECT true FROM (SELECT pg_advisory_lock($1)) l";
constexpr char kTryLock[] = "SELECT pg_try_advisory_lock($1)";
constexpr char kUnlock[] = "SELECT pg_advisory_unlock($1)";

// The watermark, locked: a transaction whose snapshot predates another
// writer's commit of fold_state fails here (serialization failure) instead
// of folding a window twice.
constexpr char kWatermark[] = "SELECT watermark::text FROM fold_state FOR UPDATE";

// The horizon: every transaction below it that can write this database's
// facts has ended. The snapshot's xmax, or sooner, its oldest running
// transaction, leaving out those known to run in another database (the
// snapshot's xmin is the whole cluster's: a long writer elsewhere would
// hold every fold back). A transaction whose database is not known (a
// prepared one, one that ended meanwhile) counts.
constexpr char kHorizon[] = R"sql(
SELECT coalesce(
  (SELECT min(x) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
   WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                     WHERE a.backend_xid::text::bigint = x::text::bigint % 4294967296
                       AND a.datname IS DISTINCT FROM current_database())),
  pg_snapshot_xmax(pg_current_snapshot()))::text)sql";

// The window's end: the horizon ($3), or sooner, just past the
// transaction of the ($2+1)-th score or complaint version from the
// watermark ($1), so a window holds about $2 fact rows (all of a
// transaction's, however many).
constexpr char kWindowEnd[] = R"sql(
SELECT e::text, e > $1::xid8 FROM (
  SELECT least($3::xid8,
               (SELECT (f.fold_xid::text::numeric + 1)::text::xid8 FROM feedback f
                WHERE f.fold_xid >= $1::xid8 ORDER BY f.fold_xid OFFSET $2 LIMIT 1),
               (SELECT (c.fold_xid::text::numeric + 1)::text::xid8 FROM complaints c
                WHERE c.fold_xid >= $1::xid8 ORDER BY c.fold_xid OFFSET $2 LIMIT 1)) AS e) w)sql";

constexpr char kWindowFacts[] = R"sql(
SELECT (SELECT count(*) FROM feedback WHERE fold_xid >= $1::xid8 AND fold_xid < $2::xid8)
     + (SELECT count(*) FROM complaints WHERE fold_xid >= $1::xid8 AND fold_xid < $2::xid8))sql";

constexpr char kTailEmpty[] = R"sql(
SELECT NOT EXISTS (SELECT 1 FROM feedback WHERE fold_xid >= $1::xid8)
   AND NOT EXISTS (SELECT 1 FROM complaints WHERE fold_xid >= $1::xid8))sql";

constexpr int64_t kAnalyzeAbove = 50000;
constexpr char kAnalyzeFacts[] = "ANALYZE feedback, complaints";

constexpr char kAdvance[] = R"sql(
UPDATE fold_state SET watermark = $1::xid8, folded_at = now(),
                      facts_folded = facts_folded + $2)sql";

// Anyone else who writes derived tables (rebuild, a new zone, an erasure)
// touches fold_state, so a folder whose snapshot predates it cannot commit.
constexpr char kTouch[] = "UPDATE fold_state SET folded_at = now()";

constexpr char kStatus[] = R"sql(
SELECT s.watermark::text, ($1)::text,
       (SELECT count(*) FROM feedback WHERE fold_xid >= s.watermark)
         + (SELECT count(*) FROM complaints WHERE fold_xid >= s.watermark),
       coalesce(extract(epoch FROM now() - least(
         (SELECT min(received_at) FROM feedback WHERE fold_xid >= s.watermark),
         (SELECT min(updated_at) FROM complaints WHERE fold_xid >= s.watermark))), 0)::float8,
       coalesce((SELECT extract(epoch FROM now() - min(xact_start)) FROM pg_stat_activity
                 WHERE backend_xid IS NOT NULL), 0)::float8,
       epoch_us(s.folded_at), s.facts_folded
FROM fold_state s)sql";

// The fold's statements and the recounts plan inputs of unknown size; the
// planner's guesses make PostgreSQL compile them with JIT at every call
// (~0.3 s, for statements that then run in milliseconds).
constexpr char kNoJit[] = "SET LOCAL jit = off";

// Folds [lo, hi) with every entry's statement, in reverse registry order.
void FoldWindow(pqxx::transaction_base& tx, const std::string& lo, const std::string& hi) {
  const std::span<const DerivedTable> tables = Registry();
  for (auto t = tables.rbegin(); t != tables.rend(); ++t) {
    if (t->fold != nullptr) tx.exec_params(t->fold, lo, hi);
  }
}

}  // namespace

bool WithFoldLock(PooledConnection& conn, bool wait, absl::FunctionRef<void()> fn) {
  {
    pqxx::nontransaction n(conn.get());
    if (!n.exec_params1(wait ? kLock : kTryLock, kFoldLock)[0].as<bool>()) return false;
  }
  try {
    fn();
  } catch (...) {
    conn.MarkBroken();  // closing the session releases the lock
    throw;
  }
  pqxx::nontransaction n(conn.get());
  n.exec_params(kUnlock, kFoldLock);
  return true;
}

absl::StatusOr<FoldResult> Folder::FoldOnce() {
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<FoldResult> {
    FoldResult result;
    const bool locked = WithFoldLock(conn, false, [&] {
      pqxx::transaction<pqxx::repeatable_read> tx(conn.get());
      tx.exec(kNoJit);
      const std::string lo = tx.exec(kWatermark)[0][0].as<std::string>();
      const std::string horizon = tx.exec(kHorizon)[0][0].as<std::string>();
      const pqxx::row end = tx.exec_params1(kWindowEnd, lo, max_facts_, horizon);
      const std::string hi = end[0].as<std::string>();
      result.caught_up = hi == horizon;
      result.tail_empty = tx.exec_params1(kTailEmpty, hi)[0].as<bool>();
      if (!end[1].as<bool>()) return;  // nothing past the watermark has ended yet
      result.facts = tx.exec_params1(kWindowFacts, lo, hi)[0].as<int64_t>();
      // A window this large is a bulk load, which autovacuum has not
      // analyzed yet: planned without statistics, the fold of 100k new
      // complaints ran for minutes instead of seconds.
      if (result.facts > kAnalyzeAbove) tx.exec(kAnalyzeFacts);
      FoldWindow(tx, lo, hi);
      tx.exec_params(kAdvance, hi, result.facts);
      tx.commit();
    });
    result.locked_out = !locked;
    return result;
  });
}

absl::StatusOr<int64_t> Folder::CatchUp(absl::Duration wait_for_writers) {
  const absl::Time give_up = absl::Now() + wait_for_writers;
  int64_t total = 0;
  for (;;) {
    absl::StatusOr<FoldResult> r = FoldOnce();
    if (!r.ok()) return r.status();
    total += r->facts;
    if (r->locked_out) {
      absl::SleepFor(absl::Milliseconds(20));
      continue;
    }
    if (r->caught_up && (r->tail_empty || absl::Now() >= give_up)) return total;
    if (r->caught_up) absl::SleepFor(absl::Milliseconds(20));
  }
}

absl::StatusOr<FoldStatus> Folder::Status() {
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<FoldStatus> {
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(conn.get());
    const std::string horizon = tx.exec(kHorizon)[0][0].as<std::string>();
    const pqxx::row r = tx.exec_params1(kStatus, horizon);
    FoldStatus s;
    s.watermark = r[0].as<std::string>();
    s.horizon = r[1].as<std::string>();
    s.tail_facts = r[2].as<int64_t>();
    s.lag_seconds = r[3].as<double>();
    s.oldest_writer_seconds = r[4].as<double>();
    s.folded_at = absl::FromUnixMicros(r[5].as<int64_t>());
    s.facts_folded = r[6].as<int64_t>();
    return s;
  });
}

absl::StatusOr<std::map<std::string, int64_t>> Folder::Check() {
  return RunWithConnection(
      pool_, [&](PooledConnection& conn) -> absl::StatusOr<std::map<std::string, int64_t>> {
        pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(conn.get());
        tx.exec(kNoJit);
        const std::string wm = tx.exec("SELECT watermark::text FROM fold_state")[0][0].as<std::string>();
        std::map<std::string, int64_t> differing;
        for (const DerivedTable& t : Registry()) {
          const std::string scope =
              t.check_scope == nullptr ? "true" : std::string(t.check_scope);
          const int64_t n =
              tx.exec_params1(std::string("WITH recount AS (SELECT * FROM (") + t.recount +
                                  ") r WHERE " + scope + "), stored AS (SELECT * FROM (" +
                                  t.stored + ") s WHERE " + scope +
                                  ") SELECT count(*) FROM ("
                                  "(SELECT * FROM recount EXCEPT ALL SELECT * FROM stored) "
                                  "UNION ALL "
                                  "(SELECT * FROM stored EXCEPT ALL SELECT * FROM recount)) d",
                              wm)[0]
                  .as<int64_t>();
          if (n != 0) differing[t.name] = n;
        }
        return differing;
      });
}

absl::StatusOr<int64_t> Folder::Rebuild() {
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<int64_t> {
    int64_t rows = 0;
    WithFoldLock(conn, true, [&] {
      pqxx::transaction<pqxx::repeatable_read> tx(conn.get());
      tx.exec(kNoJit);
      const std::string wm = tx.exec(kWatermark)[0][0].as<std::string>();
      for (const DerivedTable& t : Registry()) {
        tx.exec(std::string("DELETE FROM ") + t.name);
        rows += static_cast<int64_t>(
            tx.exec_params(std::string("INSERT INTO ") + t.name + " " + t.recount, wm)
                .affected_rows());
      }
      tx.exec(kTouch);
      tx.commit();
    });
    return rows;
  });
}

absl::StatusOr<bool> Folder::AddReportZone(const std::string& zone) {
  absl::TimeZone tz;
  if (zone.size() > 64 || !absl::LoadTimeZone(zone, &tz)) {
    return absl::InvalidArgumentError("zone: unknown IANA time zone");
  }
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<bool> {
    bool added = false;
    WithFoldLock(conn, true, [&] {
      pqxx::transaction<pqxx::repeatable_read> tx(conn.get());
      tx.exec(kNoJit);
      const std::string wm = tx.exec(kWatermark)[0][0].as<std::string>();
      added = !tx.exec_params("INSERT INTO report_zones (zone) VALUES ($1) ON CONFLICT DO "
                              "NOTHING RETURNING zone",
                              zone)
                   .empty();
      if (!added) return;
      for (const DerivedTable& t : Registry()) {
        if (!t.per_zone) continue;
        tx.exec_params(std::string("INSERT INTO ") + t.name + " SELECT * FROM (" + t.recount +
                           ") r WHERE r.zone = $2",
                       wm, zone);
      }
      tx.exec(kTouch);
      tx.commit();
    });
    return added;
  });
}

void Folder::EraseCustomer(pqxx::transaction_base& tx, const std::string& customer_id) {
  for (const DerivedTable& t : Registry()) {
    if (t.erase != nullptr) tx.exec_params(t.erase, customer_id);
  }
  tx.exec(kTouch);
}

}  // namespace feedback::storage::fold
