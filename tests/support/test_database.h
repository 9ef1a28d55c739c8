#pragma once

#include <memory>
#include <string>
#include <vector>

#include <pqxx/connection>
#include <pqxx/result>

namespace feedback::testing {

// A fresh PostgreSQL database for one test, created from the server named by
// FEEDBACK_TEST_DATABASE_URL (a URL ending in /<database>) and dropped
// afterwards. Migrations are applied unless `migrate` is false.
class TestDatabase {
 public:
  // nullptr when FEEDBACK_TEST_DATABASE_URL is unset (the caller skips,
  // or fails when FEEDBACK_REQUIRE_DB=1 as in scripts/dev.sh test).
  static std::unique_ptr<TestDatabase> Create(bool migrate = true);
  ~TestDatabase();

  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

  // Runs `sql` on the test database in its own transaction.
  pqxx::result Query(const std::string& sql);
  // With $1.. bound to `params` (as text).
  pqxx::result Query(const std::string& sql, const std::vector<std::string>& params);
  // The single value of a one-row, one-column query.
  long long Count(const std::string& sql);

 private:
  TestDatabase(std::string admin_url, std::string url, std::string name)
      : admin_url_(std::move(admin_url)), url_(std::move(url)), name_(std::move(name)) {}

  std::string admin_url_;
  std::string url_;
  std::string name_;
  std::unique_ptr<pqxx::connection> conn_;
};

// Why a database test cannot run, for GTEST_SKIP; fails the test instead
// when FEEDBACK_REQUIRE_DB=1.
std::string NoDatabaseReason();

}  // namespace feedback::testing

// Creates `db` (a std::unique_ptr<TestDatabase>) or skips the test loudly.
#define FEEDBACK_REQUIRE_TEST_DATABASE(db, ...)                               \
  do {                                                                        \
    db = ::feedback::testing::TestDatabase::Create(__VA_ARGS__);              \
    if (db == nullptr) GTEST_SKIP() << ::feedback::testing::NoDatabaseReason(); \
  } while (0)
