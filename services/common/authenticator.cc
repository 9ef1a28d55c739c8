#include "services/common/authenticator.h"

#include <grpcpp/server_context.h>

#include <utility>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "domain/access.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

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
                             const domain::Clock& clock, absl::Duration cache_ttl,
                             RateLimit rate_limit)
    : store_(store),
      workers_(workers),
      clock_(clock),
      cache_ttl_(cache_ttl),
      rate_limit_(rate_limit) {}

absl::Duration Authenticator::TakeToken(const domain::Caller& caller) {
  if (rate_limit_.calls_per_second <= 0) return absl::ZeroDuration();
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&buckets_mu_);
  auto it = buckets_.find(caller.key_id);
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxCachedKeys) buckets_.clear();
    const double burst =
        rate_limit_.burst > 0 ? rate_limit_.burst : std::ceil(rate_limit_.calls_per_second);
    it = buckets_.emplace(caller.key_id, domain::TokenBucket(rate_limit_.calls_per_second, burst))
             .first;
  }
  return it->second.TryTake(now);
}

void Authenticator::Authenticate(grpc::CallbackServerContext& context, std::string_view rpc,
                                 Then then) {
  then = [this, &context, rpc = std::string(rpc), then = std::move(then)](
             absl::StatusOr<domain::Caller> caller) mutable {
    if (caller.ok()) {
      if (absl::Status allowed = domain::AuthorizeRpc(rpc, *caller); !allowed.ok()) {
        caller = allowed;
      }
    }
    if (caller.ok()) {
      if (const absl::Duration wait = TakeToken(*caller); wait > absl::ZeroDuration()) {
        const int64_t wait_ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1))));
        context.AddTrailingMetadata("retry-after-ms", std::to_string(wait_ms));
        caller = absl::ResourceExhaustedError(absl::StrCat(
            "rate limit: this API key may make ", rate_limit_.calls_per_second,
            " calls per second; retry after ", wait_ms, " ms"));
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
