#pragma once

#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "domain/api_keys.h"
#include "domain/clock.h"
#include "domain/token_bucket.h"
#include "services/common/worker_pool.h"
#include "storage/api_key_store.h"

namespace grpc {
class CallbackServerContext;
}

namespace feedback::services {

// Calls per second each API key may make (a token bucket per key and server
// process); 0 means unlimited. `burst`: how many calls may come at once after
// a quiet spell (0: one second's worth).
struct RateLimit {
  double calls_per_second = 0;
  double burst = 0;
};

// Authenticates every call from its own `authorization: Bearer <key>`
// metadata (never from the connection). Recently confirmed keys are served
// from memory for `cache_ttl`; others are looked up in the database on a
// worker thread, so gRPC's threads never block. A revoked key stops working
// as soon as Forget() is called for it (on revocation, on every replica),
// and within cache_ttl in any case. Thread-safe.
class Authenticator {
 public:
  using Then = absl::AnyInvocable<void(absl::StatusOr<domain::Caller>) &&>;

  Authenticator(storage::ApiKeyStore& store, WorkerPool& workers, const domain::Clock& clock,
                absl::Duration cache_ttl, RateLimit rate_limit = {});

  // Calls `then` exactly once with the caller, or UNAUTHENTICATED (no or
  // unknown key), PERMISSION_DENIED (the key's role may not call `rpc`, see
  // domain::AuthorizeRpc), UNAVAILABLE (database down) or
  // RESOURCE_EXHAUSTED (server overloaded, or the key's rate limit: then the
  // call's trailing metadata holds `retry-after-ms`). Runs `then` inline
  // when the key is cached, else on a worker thread. `rpc` is the full
  // method name, "feedback.v1.ComplaintService/GetComplaint".
  void Authenticate(grpc::CallbackServerContext& context, std::string_view rpc, Then then);

  // Same, from the raw metadata value.
  void AuthenticateHeader(std::string_view authorization, Then then);

  // Forgets the cached key with this SHA-256 (hex), e.g. when it was
  // revoked, so the next call with it asks the database.
  void Forget(const std::string& key_hash_hex);
  // Forgets every cached key.
  void ForgetAll();

 private:
  // Zero when `caller` may make one more call now, else how long to wait.
  absl::Duration TakeToken(const domain::Caller& caller);

  struct Entry {
    domain::Caller caller;
    absl::Time checked_at;
  };

  storage::ApiKeyStore& store_;
  WorkerPool& workers_;
  const domain::Clock& clock_;
  const absl::Duration cache_ttl_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> cache_ ABSL_GUARDED_BY(mu_);  // by key hash
  const RateLimit rate_limit_;
  absl::Mutex buckets_mu_;
  absl::flat_hash_map<int64_t, domain::TokenBucket> buckets_ ABSL_GUARDED_BY(buckets_mu_);  // by key id
};

}  // namespace feedback::services
