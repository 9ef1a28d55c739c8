#include "storage/api_key_store.h"

#include <gtest/gtest.h>

#include "tests/support/test_database.h"

namespace feedback::storage {
namespace {

class ApiKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FEEDBACK_REQUIRE_TEST_DATABASE(db_);
    pool_ = std::make_unique<ConnectionPool>(PoolOptions{db_->url(), 2});
  }
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<ConnectionPool> pool_;
};

TEST_F(ApiKeyStoreTest, FindsAKeyByItsHashAndStoresOnlyTheHash) {
  ApiKeyStore store(*pool_);
  absl::StatusOr<CreatedApiKey> created =
      store.Create("agent desk", domain::Role::kAgent, {"billing", "general,eu"});
  ASSERT_TRUE(created.ok()) << created.status();
  auto found = store.FindByHash(domain::ApiKeyHash(created->key));
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->key_id, created->id);
  EXPECT_EQ((*found)->key_name, "agent desk");
  EXPECT_EQ((*found)->role, domain::Role::kAgent);
  EXPECT_EQ((*found)->queues, (std::vector<std::string>{"billing", "general,eu"}));
  EXPECT_EQ(db_->Count("SELECT count(*) FROM api_keys WHERE key_hash::text LIKE '%" +
                       created->key.substr(4, 10) + "%' OR key_prefix = '" + created->key + "'"),
            0);
}

TEST_F(ApiKeyStoreTest, UnknownAndRevokedKeysAreNotFound) {
  ApiKeyStore store(*pool_);
  auto unknown = store.FindByHash(domain::ApiKeyHash("fbk_nothing"));
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
  absl::StatusOr<CreatedApiKey> created = store.Create("ivr", domain::Role::kIngest, {});
  ASSERT_TRUE(created.ok());
  db_->Query("UPDATE api_keys SET revoked_at = now() WHERE id = " + std::to_string(created->id));
  auto revoked = store.FindByHash(domain::ApiKeyHash(created->key));
  ASSERT_TRUE(revoked.ok());
  EXPECT_FALSE(revoked->has_value());
}

TEST_F(ApiKeyStoreTest, RejectsABadName) {
  ApiKeyStore store(*pool_);
  EXPECT_EQ(store.Create("", domain::Role::kIngest, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store.Create(std::string(129, 'n'), domain::Role::kIngest, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ApiKeyStoreTest, ReportsUnavailableWhenTheDatabaseIsUnreachable) {
  ConnectionPool dead({"postgresql://postgres@127.0.0.1:1/none", 1, absl::Seconds(1)});
  ApiKeyStore store(dead);
  EXPECT_EQ(store.FindByHash(domain::ApiKeyHash("k")).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace feedback::storage
