#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace feedback::domain {

// What an API key may do (see README.md, "Roles").
enum class Role { kIngest, kAgent, kSupervisor, kManager, kAdmin };

// "ingest", "agent", "supervisor", "manager", "admin".
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

// The caller behind a valid, unrevoked API key.
struct Caller {
  int64_t key_id = 0;
  std::string key_name;
  Role role = Role::kIngest;
  std::vector<std::string> queues;
};

// A new random API key: "fbk_" followed by 43 base64url characters (256 bits
// from the operating system's random source). Shown to its owner once.
std::string NewApiKey();

// The form in which keys are stored and looked up: SHA-256 of the key.
std::string ApiKeyHash(std::string_view key);

// The first characters of a key, safe to show and log ("fbk_AbCd").
std::string ApiKeyPrefix(std::string_view key);

}  // namespace feedback::domain
