#include "tests/support/test_database.h"

#include <pqxx/prepared_statement>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <pqxx/nontransaction>
#include <pqxx/transaction>
#include <random>

#include "migrations/embedded_migrations.h"
#include "storage/connection_pool.h"
#include "storage/migrator.h"

namespace feedback::testing {
namespace {

// Replaces the database name of a postgresql:// URL.
std::string WithDatabase(const std::string& url, const std::string& name) {
  const size_t query = url.find('?');
  const size_t slash = url.rfind('/', query == std::string::npos ? url.size() : query);
  return url.substr(0, slash + 1) + name +
         (query == std::string::npos ? "" : url.substr(query));
}

}  // namespace

std::string NoDatabaseReason() {
  const char* require = std::getenv("FEEDBACK_REQUIRE_DB");
  if (require != nullptr && std::string(require) == "1") {
    ADD_FAILURE() << "FEEDBACK_TEST_DATABASE_URL is not set but FEEDBACK_REQUIRE_DB=1";
  }
  return "SKIPPED: no PostgreSQL (set FEEDBACK_TEST_DATABASE_URL, or run scripts/dev.sh test)";
}

std::unique_ptr<TestDatabase> TestDatabase::Create(bool migrate) {
  const char* admin = std::getenv("FEEDBACK_TEST_DATABASE_URL");
  if (admin == nullptr || *admin == '\0') return nullptr;
  std::random_device rd;
  const std::string name = "feedback_test_" + std::to_string(rd()) + std::to_string(rd());
  {
    pqxx::connection conn(admin);
    pqxx::nontransaction tx(conn);
    tx.exec("CREATE DATABASE " + name);
  }
  std::unique_ptr<TestDatabase> db(new TestDatabase(admin, WithDatabase(admin, name), name));
  db->conn_ = std::make_unique<pqxx::connection>(db->url_);
  if (migrate) {
    storage::ConnectionPool pool({db->url_, 1});
    storage::Migrator migrator(pool, migrations::Embedded());
    auto applied = migrator.Apply();
    if (!applied.ok()) {
      ADD_FAILURE() << "migrations failed: " << applied.status();
      return nullptr;
    }
  }
  return db;
}

TestDatabase::~TestDatabase() {
  conn_.reset();
  try {
    pqxx::connection conn(admin_url_);
    pqxx::nontransaction tx(conn);
    tx.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "could not drop " << name_ << ": " << e.what();
  }
}

pqxx::result TestDatabase::Query(const std::string& sql) {
  if (!conn_->is_open()) conn_ = std::make_unique<pqxx::connection>(url_);
  pqxx::work tx(*conn_);
  pqxx::result r = tx.exec(sql);
  tx.commit();
  return r;
}

pqxx::result TestDatabase::Query(const std::string& sql, const std::vector<std::string>& params) {
  if (!conn_->is_open()) conn_ = std::make_unique<pqxx::connection>(url_);
  pqxx::work tx(*conn_);
  pqxx::result r = tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
  tx.commit();
  return r;
}

long long TestDatabase::Count(const std::string& sql) {
  return Query(sql)[0][0].as<long long>();
}

}  // namespace feedback::testing
