#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/api_keys.h"
#include "storage/connection_pool.h"

namespace feedback::storage {

// A key as created: the secret is only ever available here.
struct CreatedApiKey {
  int64_t id = 0;
  std::string key;  // the whole secret key, shown once
};

// A key as listed: never the secret or its hash.
struct ApiKeyRecord {
  int64_t id = 0;
  std::string name;
  domain::Role role = domain::Role::kIngest;
  std::vector<std::string> queues;
  std::string key_prefix;
  absl::Time created_at;
  std::optional<absl::Time> revoked_at;
};

// API keys in the api_keys table; only their SHA-256 hashes are stored.
// Thread-safe.
class ApiKeyStore {
 public:
  explicit ApiKeyStore(ConnectionPool& pool) : pool_(pool) {}

  // Creates a key, audited as done by `actor`. INVALID_ARGUMENT for an
  // empty or over-long name or bad queue names.
  absl::StatusOr<CreatedApiKey> Create(const std::string& name, domain::Role role,
                                       const std::vector<std::string>& queues,
                                       const std::string& actor = "feedbackd create-api-key");

  // Revokes key `id` (idempotent: the first revocation time stays), audited.
  // NOT_FOUND for an unknown id.
  absl::StatusOr<ApiKeyRecord> Revoke(int64_t id, const std::string& actor);

  absl::StatusOr<std::vector<ApiKeyRecord>> List(bool include_revoked);

  // The caller owning the key with this SHA-256 `hash`, or nullopt when no
  // such key exists or it was revoked. UNAVAILABLE when the database is down.
  absl::StatusOr<std::optional<domain::Caller>> FindByHash(const std::string& hash);

 private:
  ConnectionPool& pool_;
};

}  // namespace feedback::storage
