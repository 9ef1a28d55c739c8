#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "absl/time/clock.h"
#include "domain/api_keys.h"
#include "domain/ids.h"
#include "domain/text.h"

namespace feedback::domain {
namespace {

TEST(CountStorableCodePoints, CountsCodePointsOfWellFormedText) {
  EXPECT_EQ(CountStorableCodePoints(""), 0u);
  EXPECT_EQ(CountStorableCodePoints("abc"), 3u);
  EXPECT_EQ(CountStorableCodePoints("\xC3\xA9"), 1u);               // é
  EXPECT_EQ(CountStorableCodePoints("\xE2\x82\xAC"), 1u);           // €
  EXPECT_EQ(CountStorableCodePoints("\xF0\x9F\x98\x80"), 1u);       // emoji
  EXPECT_EQ(CountStorableCodePoints("\xF4\x8F\xBF\xBF"), 1u);       // U+10FFFF
}

TEST(CountStorableCodePoints, RejectsWhatPostgresCannotStore) {
  EXPECT_FALSE(CountStorableCodePoints(std::string("a\0b", 3)));    // NUL
  EXPECT_FALSE(CountStorableCodePoints("\x80"));                     // lone continuation
  EXPECT_FALSE(CountStorableCodePoints("\xC3"));                     // truncated
  EXPECT_FALSE(CountStorableCodePoints("\xC0\x80"));                 // overlong NUL
  EXPECT_FALSE(CountStorableCodePoints("\xE0\x80\xAF"));             // overlong
  EXPECT_FALSE(CountStorableCodePoints("\xED\xA0\x80"));             // surrogate
  EXPECT_FALSE(CountStorableCodePoints("\xF4\x90\x80\x80"));         // > U+10FFFF
  EXPECT_FALSE(CountStorableCodePoints("\xFF"));
}

TEST(NewFeedbackId, IsAVersionSevenUuidOrderedByTime) {
  const std::regex uuid7("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  const absl::Time t = absl::FromUnixMillis(1790000000123);
  const std::string a = NewFeedbackId(t);
  EXPECT_TRUE(std::regex_match(a, uuid7)) << a;
  EXPECT_EQ(a.substr(0, 8), "01a0c450");  // 1790000000123 ms = 0x01a0c4506c7b
  EXPECT_LT(a, NewFeedbackId(t + absl::Milliseconds(1)));
}

TEST(NewFeedbackId, IsUnique) {
  std::set<std::string> ids;
  const absl::Time t = absl::Now();
  for (int i = 0; i < 20000; ++i) ids.insert(NewFeedbackId(t));
  EXPECT_EQ(ids.size(), 20000u);
}

TEST(ApiKeys, AreRandomPrefixedAndStoredAsSha256) {
  const std::string a = NewApiKey();
  const std::string b = NewApiKey();
  EXPECT_NE(a, b);
  EXPECT_TRUE(std::regex_match(a, std::regex("^fbk_[A-Za-z0-9_-]{43}$"))) << a;
  EXPECT_EQ(ApiKeyHash(a).size(), 32u);
  EXPECT_NE(ApiKeyHash(a), ApiKeyHash(b));
  EXPECT_EQ(ApiKeyPrefix(a), a.substr(0, 8));
}

TEST(Roles, RoundTripThroughTheirNames) {
  for (Role r : {Role::kIngest, Role::kAgent, Role::kSupervisor, Role::kManager, Role::kAdmin}) {
    EXPECT_EQ(ParseRole(RoleName(r)), r);
  }
  EXPECT_FALSE(ParseRole("root"));
}

}  // namespace
}  // namespace feedback::domain
