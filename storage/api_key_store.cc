#include "storage/api_key_store.h"

#include <pqxx/array>
#include <pqxx/result>
#include <pqxx/transaction>

#include "domain/sha256.h"
#include "domain/text.h"
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
                                                  const std::vector<std::string>& queues) {
  const auto length = domain::CountStorableCodePoints(name);
  if (!length || *length == 0 || *length > 128) {
    return absl::InvalidArgumentError("name: must be 1-128 characters of valid UTF-8");
  }
  PgArrayBuilder queue_array;
  for (const auto& q : queues) queue_array.Add(q);
  const std::string key = domain::NewApiKey();
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<CreatedApiKey> {
    conn.Prepare(kInsertKey, kInsertKeySql);
    pqxx::work tx(conn.get());
    const pqxx::row row = tx.exec_prepared1(
        kInsertKey, name, std::string(domain::RoleName(role)), queue_array.Build(),
        domain::HexEncode(domain::ApiKeyHash(key)), domain::ApiKeyPrefix(key));
    tx.commit();
    return CreatedApiKey{row[0].as<int64_t>(), key};
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
