#include "domain/token_bucket.h"

#include <gtest/gtest.h>

namespace feedback::domain {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

TEST(TokenBucketTest, StartsFullAndAllowsTheBurst) {
  TokenBucket bucket(10, 5);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(bucket.TryTake(kStart), absl::ZeroDuration()) << i;
  // Empty: the next token comes after 1/10 s.
  EXPECT_EQ(bucket.TryTake(kStart), absl::Milliseconds(100));
}

TEST(TokenBucketTest, RefillsAtTheRateAndNeverAboveTheBurst) {
  TokenBucket bucket(10, 2);
  EXPECT_EQ(bucket.TryTake(kStart), absl::ZeroDuration());
  EXPECT_EQ(bucket.TryTake(kStart), absl::ZeroDuration());
  EXPECT_GT(bucket.TryTake(kStart), absl::ZeroDuration());
  // 50 ms later half a token is there: wait 50 ms more.
  EXPECT_EQ(bucket.TryTake(kStart + absl::Milliseconds(50)), absl::Milliseconds(50));
  EXPECT_EQ(bucket.TryTake(kStart + absl::Milliseconds(100)), absl::ZeroDuration());
  // An hour idle refills to the burst, not more.
  const absl::Time later = kStart + absl::Hours(1);
  EXPECT_EQ(bucket.TryTake(later), absl::ZeroDuration());
  EXPECT_EQ(bucket.TryTake(later), absl::ZeroDuration());
  EXPECT_GT(bucket.TryTake(later), absl::ZeroDuration());
}

TEST(TokenBucketTest, RefusedCallsDoNotConsumeAndTheHintIsEnough) {
  TokenBucket bucket(4, 1);
  EXPECT_EQ(bucket.TryTake(kStart), absl::ZeroDuration());
  absl::Duration wait;
  for (int i = 0; i < 100; ++i) wait = bucket.TryTake(kStart);
  EXPECT_EQ(wait, absl::Milliseconds(250));
  EXPECT_GT(bucket.TryTake(kStart + wait - absl::Microseconds(1)), absl::ZeroDuration());
  EXPECT_EQ(bucket.TryTake(kStart + wait), absl::ZeroDuration());
}

TEST(TokenBucketTest, ClockGoingBackwardsDoesNotMintTokens) {
  TokenBucket bucket(1, 1);
  EXPECT_EQ(bucket.TryTake(kStart), absl::ZeroDuration());
  EXPECT_GT(bucket.TryTake(kStart - absl::Hours(1)), absl::ZeroDuration());
  EXPECT_GT(bucket.TryTake(kStart), absl::ZeroDuration());
  EXPECT_EQ(bucket.TryTake(kStart + absl::Seconds(1)), absl::ZeroDuration());
}

}  // namespace
}  // namespace feedback::domain
