#include "domain/api_keys.h"

#include <openssl/rand.h>

#include <stdexcept>

#include "domain/sha256.h"

namespace feedback::domain {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kIngest: return "ingest";
    case Role::kAgent: return "agent";
    case Role::kSupervisor: return "supervisor";
    case Role::kManager: return "manager";
    case Role::kAdmin: return "admin";
  }
  return "ingest";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kIngest, Role::kAgent, Role::kSupervisor, Role::kManager, Role::kAdmin}) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

std::string NewApiKey() {
  unsigned char random[32];
  if (RAND_bytes(random, sizeof random) != 1) {
    // Without a working random source no key can be safe; this is fatal.
    throw std::runtime_error("no random source for API keys");
  }
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string key = "fbk_";
  uint32_t bits = 0;
  int bit_count = 0;
  for (unsigned char byte : random) {
    bits = (bits << 8) | byte;
    bit_count += 8;
    while (bit_count >= 6) {
      bit_count -= 6;
      key.push_back(kAlphabet[(bits >> bit_count) & 0x3F]);
    }
  }
  if (bit_count > 0) key.push_back(kAlphabet[(bits << (6 - bit_count)) & 0x3F]);
  return key;
}

std::string ApiKeyHash(std::string_view key) { return Sha256(key); }

std::string ApiKeyPrefix(std::string_view key) { return std::string(key.substr(0, 8)); }

}  // namespace feedback::domain
