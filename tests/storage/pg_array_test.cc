// The text form of PostgreSQL arrays, both ways.
#include "storage/pg_array.h"

#include <gtest/gtest.h>

namespace feedback::storage {
namespace {

TEST(ParseIntArray, ReadsWhatPostgresPrints) {
  std::vector<int64_t> v{42};
  ASSERT_TRUE(ParseIntArray("{}", v));
  EXPECT_TRUE(v.empty());
  ASSERT_TRUE(ParseIntArray("{7}", v));
  EXPECT_EQ(v, (std::vector<int64_t>{7}));
  ASSERT_TRUE(ParseIntArray("{0,-3,9223372036854775807}", v));
  EXPECT_EQ(v, (std::vector<int64_t>{0, -3, 9223372036854775807}));
}

TEST(ParseIntArray, RefusesAnythingElse) {
  std::vector<int64_t> v;
  for (const char* bad : {"", "{", "}", "1,2", "{1,,2}", "{1,NULL}", "{a}", "{1,2",
                          "{{1,2},{3,4}}", "{99999999999999999999}"}) {
    EXPECT_FALSE(ParseIntArray(bad, v)) << bad;
  }
}

TEST(PgArrayBuilder, QuotesAndEscapesEveryElement) {
  PgArrayBuilder b;
  b.Add("a\"b\\c");
  b.AddNull();
  b.AddOrNull("");
  b.Add("");
  EXPECT_EQ(b.Build(), "{\"a\\\"b\\\\c\",NULL,NULL,\"\"}");
}

}  // namespace
}  // namespace feedback::storage
