#include "storage/statement_deadline.h"

#include <gtest/gtest.h>

#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include "absl/time/clock.h"
#include "storage/pg_status.h"
#include "tests/support/test_database.h"

namespace feedback::storage {
namespace {

class StatementDeadlineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FEEDBACK_REQUIRE_TEST_DATABASE(db_);
    pool_ = std::make_unique<ConnectionPool>(PoolOptions{db_->url(), 1});
  }

  // Runs `sql` on the pool's one connection.
  absl::StatusOr<std::string> Run(const std::string& sql) {
    return RunWithConnection(*pool_, [&](PooledConnection& conn) -> absl::StatusOr<std::string> {
      pqxx::work tx(conn.get());
      const pqxx::result r = tx.exec(sql);
      tx.commit();
      return std::string(r[0][0].c_str());
    });
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<ConnectionPool> pool_;
};

TEST_F(StatementDeadlineTest, AStatementIsCutOffAtTheDeadline) {
  const absl::Time start = absl::Now();
  {
    ScopedStatementDeadline deadline(start + absl::Milliseconds(300));
    absl::StatusOr<std::string> slept = Run("SELECT pg_sleep(10)::text");
    EXPECT_EQ(slept.status().code(), absl::StatusCode::kDeadlineExceeded) << slept.status();
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  // The same connection serves the next call, without the limit.
  absl::StatusOr<std::string> timeout = Run("SHOW statement_timeout");
  ASSERT_TRUE(timeout.ok()) << timeout.status();
  EXPECT_EQ(*timeout, "0");
}

TEST(StatementTimeoutMs, RoundsDownByAtMostATenthAndNeverBelowOneMillisecond) {
  EXPECT_EQ(StatementTimeoutMs(absl::Milliseconds(10056)), 10000);
  EXPECT_EQ(StatementTimeoutMs(absl::Milliseconds(10999)), 10000);
  EXPECT_EQ(StatementTimeoutMs(absl::Milliseconds(9999)), 9900);
  EXPECT_EQ(StatementTimeoutMs(absl::Milliseconds(1999)), 1900);
  EXPECT_EQ(StatementTimeoutMs(absl::Milliseconds(259)), 250);
  EXPECT_EQ(StatementTimeoutMs(absl::Milliseconds(99)), 99);
  EXPECT_EQ(StatementTimeoutMs(absl::Milliseconds(0)), 1);
  EXPECT_EQ(StatementTimeoutMs(absl::Milliseconds(-5)), 1);
  for (int ms = 1; ms < 100000; ms += 7) {
    const int64_t t = StatementTimeoutMs(absl::Milliseconds(ms));
    ASSERT_LE(t, ms);
    ASSERT_GT(t * 10, ms * 9) << ms;  // less than a tenth earlier
  }
}

TEST_F(StatementDeadlineTest, CallsWithSimilarDeadlinesShareTheSetting) {
  for (int extra_ms : {300, 600, 900}) {
    ScopedStatementDeadline deadline(absl::Now() + absl::Seconds(10) +
                                     absl::Milliseconds(extra_ms));
    absl::StatusOr<std::string> timeout = Run("SHOW statement_timeout");
    ASSERT_TRUE(timeout.ok()) << timeout.status();
    EXPECT_EQ(*timeout, "10s");
  }
}

TEST_F(StatementDeadlineTest, APassedDeadlineDoesNotReachTheDatabase) {
  ScopedStatementDeadline deadline(absl::Now() - absl::Milliseconds(1));
  bool ran = false;
  absl::Status status = RunWithConnection(*pool_, [&](PooledConnection&) {
    ran = true;
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_FALSE(ran);
}

TEST_F(StatementDeadlineTest, ScopesNestAndRestore) {
  EXPECT_EQ(CurrentStatementDeadline(), absl::InfiniteFuture());
  const absl::Time outer = absl::Now() + absl::Seconds(30);
  {
    ScopedStatementDeadline a(outer);
    {
      ScopedStatementDeadline b(outer + absl::Seconds(1));
      EXPECT_EQ(CurrentStatementDeadline(), outer + absl::Seconds(1));
    }
    EXPECT_EQ(CurrentStatementDeadline(), outer);
    // A generous deadline leaves the statement alone but sets the limit.
    absl::StatusOr<std::string> timeout = Run("SHOW statement_timeout");
    ASSERT_TRUE(timeout.ok()) << timeout.status();
    EXPECT_NE(*timeout, "0");
  }
  EXPECT_EQ(CurrentStatementDeadline(), absl::InfiniteFuture());
}

}  // namespace
}  // namespace feedback::storage
