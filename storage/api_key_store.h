#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "domain/api_keys.h"
#include "storage/connection_pool.h"

namespace feedback::storage {

// A key as created: the secret is only ever available here.
struct CreatedApiKey {
  int64_t id = 0;
  std::string key;  // the whole secret key, shown once
};

// API keys in the api_keys table; only their SHA-256 hashes are stored.
// Thread-safe.
class ApiKeyStore {
 public:
  explicit ApiKeyStore(ConnectionPool& pool) : pool_(pool) {}

  // Creates a key. INVALID_ARGUMENT for an empty or over-long name.
  absl::StatusOr<CreatedApiKey> Create(const std::string& name, domain::Role role,
                                       const std::vector<std::string>& queues);

  // The caller owning the key with this SHA-256 `hash`, or nullopt when no
  // such key exists or it was revoked. UNAVAILABLE when the database is down.
  absl::StatusOr<std::optional<domain::Caller>> FindByHash(const std::string& hash);

 private:
  ConnectionPool& pool_;
};

}  // namespace feedback::storage
