#include "storage/migrator.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/support/test_database.h"

namespace feedback::storage {
namespace {

class MigratorTest : public ::testing::Test {
 protected:
  void SetUp() override { FEEDBACK_REQUIRE_TEST_DATABASE(db_, /*migrate=*/false); }
  std::unique_ptr<testing::TestDatabase> db_;
};

TEST_F(MigratorTest, AppliesEveryMigrationOnceAndRecordsIt) {
  ConnectionPool pool({db_->url(), 1});
  Migrator migrator(pool, migrations::Embedded());
  EXPECT_EQ(migrator.CheckCurrent().code(), absl::StatusCode::kUnavailable);  // pending
  absl::StatusOr<int> first = migrator.Apply();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, static_cast<int>(migrations::Embedded().size()));
  EXPECT_TRUE(migrator.CheckCurrent().ok());
  absl::StatusOr<int> second = migrator.Apply();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 0);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM schema_migrations"),
            static_cast<long long>(migrations::Embedded().size()));
  EXPECT_EQ(db_->Count("SELECT count(*) FROM schema_migrations WHERE length(checksum) = 64"),
            static_cast<long long>(migrations::Embedded().size()));
}

TEST_F(MigratorTest, RefusesWhenAnAppliedMigrationWasEdited) {
  ConnectionPool pool({db_->url(), 1});
  ASSERT_TRUE(Migrator(pool, migrations::Embedded()).Apply().ok());
  std::vector<migrations::Migration> edited = migrations::Embedded();
  edited.front().sql += "\n-- a harmless-looking edit\n";
  Migrator migrator(pool, edited);
  absl::Status check = migrator.CheckCurrent();
  EXPECT_EQ(check.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(check.message().find(edited.front().name), std::string::npos) << check;
  absl::StatusOr<int> apply = migrator.Apply();
  EXPECT_EQ(apply.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(MigratorTest, AppliesANewMigrationAfterTheExistingOnes) {
  ConnectionPool pool({db_->url(), 1});
  ASSERT_TRUE(Migrator(pool, migrations::Embedded()).Apply().ok());
  std::vector<migrations::Migration> more = migrations::Embedded();
  more.push_back({9999, "9999_test_extra", "CREATE TABLE test_extra (x int);"});
  Migrator migrator(pool, more);
  EXPECT_EQ(migrator.CheckCurrent().code(), absl::StatusCode::kUnavailable);
  absl::StatusOr<int> applied = migrator.Apply();
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(*applied, 1);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM test_extra"), 0);
}

TEST_F(MigratorTest, AFailingMigrationLeavesNoTrace) {
  ConnectionPool pool({db_->url(), 1});
  std::vector<migrations::Migration> broken = migrations::Embedded();
  broken.push_back({9998, "9998_broken", "CREATE TABLE half_done (x int); SELECT 1/0;"});
  absl::StatusOr<int> applied = Migrator(pool, broken).Apply();
  EXPECT_FALSE(applied.ok());
  EXPECT_EQ(db_->Count("SELECT count(*) FROM schema_migrations WHERE version = 9998"), 0);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM pg_tables WHERE tablename = 'half_done'"), 0);
  // The earlier migrations were committed and stay.
  EXPECT_TRUE(Migrator(pool, migrations::Embedded()).CheckCurrent().ok());
}

TEST_F(MigratorTest, ConcurrentMigratorsDoNotRace) {
  constexpr int kReplicas = 6;
  std::vector<absl::StatusOr<int>> results(kReplicas, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      ConnectionPool pool({db_->url(), 1});
      results[i] = Migrator(pool, migrations::Embedded()).Apply();
    });
  }
  for (auto& t : threads) t.join();
  int total = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    total += *r;
  }
  EXPECT_EQ(total, static_cast<int>(migrations::Embedded().size()));
}

}  // namespace
}  // namespace feedback::storage
