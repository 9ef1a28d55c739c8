#include "storage/api_key_store.h"

#include <pqxx/array>
#include <pqxx/result>
#include <pqxx/transaction>

#include "domain/sha256.h"
#include "domain/text.h"
#include "storage/admin_audit.h"
#include "storage/notification_listener.h"
#include "storage/pg_array.h"
#include "storage/pg_status.h"

namespace feedback::storage {
namespace {

constexpr char kInsertKey[] = "api_keys_insert";
constexpr char kInsertKeySql[] = R"sql(
INSERT INTO api_keys (name, role, queues, key_hash, key_prefix)
VALUES ($1, $2, $3::text[], decode($4, 'hex'), $5)
RETURNING id)sql";

constexpr char kFindKey[] = "api_keys_find";
constexpr char kFindKeySql[] = R"sql(
SELECT id, name, role, queues
FROM api_keys WHERE key_hash = decode($1, 'hex') AND revoked_at IS NULL)sql";

}  // namespace

absl::StatusOr<CreatedApiKey> ApiKeyStore::Create(const std::string& name, domain::Role role,
                                                  const std::vector<std::string>& queues,
                                                  const std::string& actor) {
  const auto length = domain::CountStorableCodePoints(name);
  if (!length || *length == 0 || *length > 128) {
    return absl::InvalidArgumentError("name: must be 1-128 characters of valid UTF-8");
  }
  if (queues.size() > 50) return absl::InvalidArgumentError("queues: at most 50");
  PgArrayBuilder queue_array;
  for (const auto& q : queues) {
    if (absl::Status st = domain::CheckText("queues", q, 64, true); !st.ok()) return st;
    queue_array.Add(q);
  }
  const std::string key = domain::NewApiKey();
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<CreatedApiKey> {
    conn.Prepare(kInsertKey, kInsertKeySql);
    pqxx::work tx(conn.get());
    const pqxx::row row = tx.exec_prepared1(
        kInsertKey, name, std::string(domain::RoleName(role)), queue_array.Build(),
        domain::HexEncode(domain::ApiKeyHash(key)), domain::ApiKeyPrefix(key));
    InsertAdminAudit(tx, actor, "create_api_key", "api_key:" + row[0].as<std::string>());
    tx.commit();
    return CreatedApiKey{row[0].as<int64_t>(), key};
  });
}

namespace {

constexpr char kKeyColumns[] =
    "id, name, role, queues, key_prefix, epoch_us(created_at), epoch_us(revoked_at)";

ApiKeyRecord KeyFromRow(const pqxx::row& r) {
  ApiKeyRecord k;
  k.id = r[0].as<int64_t>();
  k.name = r[1].as<std::string>();
  k.role = domain::ParseRole(r[2].as<std::string>()).value_or(domain::Role::kIngest);
  pqxx::array_parser queues = r[3].as_array();
  for (auto [kind, value] = queues.get_next(); kind != pqxx::array_parser::done;
       std::tie(kind, value) = queues.get_next()) {
    if (kind == pqxx::array_parser::string_value) k.queues.push_back(value);
  }
  k.key_prefix = r[4].as<std::string>();
  k.created_at = absl::FromUnixMicros(r[5].as<int64_t>());
  if (!r[6].is_null()) k.revoked_at = absl::FromUnixMicros(r[6].as<int64_t>());
  return k;
}

}  // namespace

absl::StatusOr<ApiKeyRecord> ApiKeyStore::Revoke(int64_t id, const std::string& actor) {
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<ApiKeyRecord> {
    pqxx::work tx(conn.get());
    const pqxx::result r = tx.exec_params(
        std::string("UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) "
                    "WHERE id = $1 RETURNING ") + kKeyColumns, id);
    if (r.empty()) return absl::NotFoundError("id: API key not found");
    // Every replica drops the key from its cache when this commits.
    tx.exec_params("SELECT pg_notify($2, encode(key_hash, 'hex')) FROM api_keys WHERE id = $1",
                   id, std::string(kKeyRevokedChannel));
    InsertAdminAudit(tx, actor, "revoke_api_key", "api_key:" + std::to_string(id));
    tx.commit();
    return KeyFromRow(r[0]);
  });
}

absl::StatusOr<std::vector<ApiKeyRecord>> ApiKeyStore::List(bool include_revoked) {
  return RunWithConnection(
      pool_, [&](PooledConnection& conn) -> absl::StatusOr<std::vector<ApiKeyRecord>> {
        pqxx::read_transaction tx(conn.get());
        const pqxx::result rows = tx.exec_params(
            std::string("SELECT ") + kKeyColumns +
                " FROM api_keys WHERE $1 OR revoked_at IS NULL ORDER BY id",
            include_revoked);
        std::vector<ApiKeyRecord> keys;
        for (const auto& r : rows) keys.push_back(KeyFromRow(r));
        return keys;
      });
}

absl::StatusOr<std::optional<domain::Caller>> ApiKeyStore::FindByHash(const std::string& hash) {
  return RunWithConnection(
      pool_, [&](PooledConnection& conn) -> absl::StatusOr<std::optional<domain::Caller>> {
        conn.Prepare(kFindKey, kFindKeySql);
        pqxx::read_transaction tx(conn.get());
        const pqxx::result rows = tx.exec_prepared(kFindKey, domain::HexEncode(hash));
        if (rows.empty()) return std::nullopt;
        domain::Caller caller;
        caller.key_id = rows[0][0].as<int64_t>();
        caller.key_name = rows[0][1].as<std::string>();
        caller.role = domain::ParseRole(rows[0][2].as<std::string>()).value_or(domain::Role::kIngest);
        pqxx::array_parser queues = rows[0][3].as_array();
        for (auto [kind, value] = queues.get_next(); kind != pqxx::array_parser::done;
             std::tie(kind, value) = queues.get_next()) {
          if (kind == pqxx::array_parser::string_value) caller.queues.push_back(value);
        }
        return caller;
      });
}

}  // namespace feedback::storage
