#include "services/common/authenticator.h"

#include <grpcpp/server_context.h>

#include <utility>

#include <cctype>

#include "domain/access.h"
#include "absl/strings/escaping.h"

namespace feedback::services {
namespace {

constexpr size_t kMaxCachedKeys = 10000;
constexpr size_t kMaxKeyLength = 256;

// The key of an "authorization: Bearer <key>" value (scheme matched without
// regard to case), or empty when the value has another form.
std::string_view BearerKey(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return {};
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return {};
  }
  std::string_view key = header.substr(kScheme.size());
  while (!key.empty() && std::isspace(static_cast<unsigned char>(key.front()))) key.remove_prefix(1);
  while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.remove_suffix(1);
  return key;
}

}  // namespace

Authenticator::Authenticator(storage::ApiKeyStore& store, WorkerPool& workers,
                             const domain::Clock& clock, absl::Duration cache_ttl)
    : store_(store), workers_(workers), clock_(clock), cache_ttl_(cache_ttl) {}

void Authenticator::Authenticate(const grpc::CallbackServerContext& context,
                                 std::string_view rpc, Then then) {
  then = [rpc = std::string(rpc), then = std::move(then)](
             absl::StatusOr<domain::Caller> caller) mutable {
    if (caller.ok()) {
      if (absl::Status allowed = domain::AuthorizeRpc(rpc, *caller); !allowed.ok()) {
        caller = allowed;
      }
    }
    std::move(then)(std::move(caller));
  };
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    std::move(then)(absl::UnauthenticatedError(
        "authorization: missing; send metadata 'authorization: Bearer <api-key>'"));
    return;
  }
  AuthenticateHeader(std::string_view(it->second.data(), it->second.size()), std::move(then));
}

void Authenticator::Forget(const std::string& key_hash_hex) {
  const std::string hash = absl::HexStringToBytes(key_hash_hex);
  absl::MutexLock lock(&mu_);
  cache_.erase(hash);
}

void Authenticator::ForgetAll() {
  absl::MutexLock lock(&mu_);
  cache_.clear();
}

void Authenticator::AuthenticateHeader(std::string_view header, Then then) {
  const std::string_view key = BearerKey(header);
  if (key.empty()) {
    std::move(then)(absl::UnauthenticatedError("authorization: expected 'Bearer <api-key>'"));
    return;
  }
  if (key.size() > kMaxKeyLength) {
    std::move(then)(absl::UnauthenticatedError("authorization: unknown or revoked API key"));
    return;
  }
  std::string hash = domain::ApiKeyHash(key);
  const absl::Time now = clock_.Now();
  std::optional<domain::Caller> cached_caller;
  {
    absl::MutexLock lock(&mu_);
    auto cached = cache_.find(hash);
    if (cached != cache_.end() && now - cached->second.checked_at < cache_ttl_) {
      cached_caller = cached->second.caller;
    }
  }
  if (cached_caller) {
    std::move(then)(*std::move(cached_caller));
    return;
  }
  // `then` moves into the task only when the queue takes it; keep a handle
  // so it can still be called when the queue is full.
  auto shared_then = std::make_shared<Then>(std::move(then));
  const bool queued = workers_.TrySubmit([this, hash = std::move(hash), shared_then]() mutable {
    absl::StatusOr<std::optional<domain::Caller>> found = store_.FindByHash(hash);
    if (!found.ok()) {
      std::move(*shared_then)(found.status());
      return;
    }
    if (!found->has_value()) {
      {
        absl::MutexLock lock(&mu_);
        cache_.erase(hash);
      }
      std::move(*shared_then)(absl::UnauthenticatedError("authorization: unknown or revoked API key"));
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      if (cache_.size() >= kMaxCachedKeys) cache_.clear();
      cache_[hash] = Entry{**found, clock_.Now()};
    }
    std::move(*shared_then)(std::move(**found));
  });
  if (!queued) {
    std::move(*shared_then)(absl::ResourceExhaustedError("server overloaded, retry later"));
  }
}

}  // namespace feedback::services
