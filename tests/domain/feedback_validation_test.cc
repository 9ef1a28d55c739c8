#include "domain/feedback_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace feedback::domain {
namespace {

using ::testing::StartsWith;

const absl::Time kNow = absl::FromUnixSeconds(1795000000);  // 2026-11-18

Submission ValidRating() {
  Submission s;
  s.kind = SubmitKind::kRating;
  s.request_id = "req-1";
  s.channel = static_cast<int>(Channel::kIvr);
  s.csat_score = 4;
  return s;
}

// The message of the validation error, or "OK".
std::string Check(const Submission& s) {
  absl::Status st = ValidateSubmission(s, kNow);
  if (st.ok()) return "OK";
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  return std::string(st.message());
}

std::string Repeat(const std::string& unit, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += unit;
  return out;
}

TEST(FeedbackValidation, AcceptsAMinimalRating) { EXPECT_EQ(Check(ValidRating()), "OK"); }

TEST(FeedbackValidation, RequestIdIsRequiredAndAtMost128Characters) {
  Submission s = ValidRating();
  s.request_id = "";
  EXPECT_EQ(Check(s), "request_id: is required");
  s.request_id = std::string(128, 'r');
  EXPECT_EQ(Check(s), "OK");
  s.request_id = std::string(129, 'r');
  EXPECT_EQ(Check(s), "request_id: must be at most 128 characters");
}

TEST(FeedbackValidation, ChannelIsRequiredAndKnown) {
  Submission s = ValidRating();
  s.channel = 0;
  EXPECT_EQ(Check(s), "channel: is required");
  s.channel = 7;
  EXPECT_EQ(Check(s), "channel: is not a known channel");
  s.channel = -1;
  EXPECT_EQ(Check(s), "channel: is not a known channel");
  for (int c = 1; c <= 6; ++c) {
    s.channel = c;
    EXPECT_EQ(Check(s), "OK") << c;
  }
}

TEST(FeedbackValidation, CsatScoreIsOneToFive) {
  Submission s = ValidRating();
  for (int score : {0, 6, -1, 100}) {
    s.csat_score = score;
    EXPECT_EQ(Check(s), "score: must be between 1 and 5") << score;
  }
  for (int score = 1; score <= 5; ++score) {
    s.csat_score = score;
    EXPECT_EQ(Check(s), "OK") << score;
  }
}

TEST(FeedbackValidation, NpsScoreIsZeroToTen) {
  Submission s = ValidRating();
  s.kind = SubmitKind::kNps;
  s.csat_score.reset();
  for (int score : {-1, 11}) {
    s.nps_score = score;
    EXPECT_EQ(Check(s), "score: must be between 0 and 10") << score;
  }
  for (int score = 0; score <= 10; ++score) {
    s.nps_score = score;
    EXPECT_EQ(Check(s), "OK") << score;
  }
}

TEST(FeedbackValidation, SurveyNeedsAtLeastOneValidScore) {
  Submission s = ValidRating();
  s.kind = SubmitKind::kSurvey;
  s.csat_score.reset();
  EXPECT_EQ(Check(s), "csat_score: at least one of csat_score and nps_score is required");
  s.nps_score = 10;
  EXPECT_EQ(Check(s), "OK");
  s.csat_score = 9;
  EXPECT_EQ(Check(s), "csat_score: must be between 1 and 5");
  s.csat_score = 5;
  s.nps_score = 11;
  EXPECT_EQ(Check(s), "nps_score: must be between 0 and 10");
  s.nps_score.reset();
  EXPECT_EQ(Check(s), "OK");
}

TEST(FeedbackValidation, CommentLimitCountsCharactersNotBytes) {
  Submission s = ValidRating();
  s.comment = Repeat("\xC3\xA9", 4000);  // "é" x 4000: 8000 bytes
  EXPECT_EQ(Check(s), "OK");
  s.comment += "x";
  EXPECT_EQ(Check(s), "comment: must be at most 4000 characters");
}

TEST(FeedbackValidation, TextMustBeStorableUtf8) {
  Submission s = ValidRating();
  s.comment = std::string("bad\0byte", 8);
  EXPECT_EQ(Check(s), "comment: must be valid UTF-8 without NUL characters");
  s = ValidRating();
  s.customer.display_name = "\xFF\xFE";
  EXPECT_EQ(Check(s), "customer.display_name: must be valid UTF-8 without NUL characters");
  s = ValidRating();
  s.request_id = "\xC0\xAF";  // overlong "/"
  EXPECT_EQ(Check(s), "request_id: must be valid UTF-8 without NUL characters");
}

TEST(FeedbackValidation, FieldLengthLimitsNameTheField) {
  struct Case {
    std::string Submission::*field;
    Customer Submission::*customer = nullptr;
    std::string Customer::*customer_field = nullptr;
    size_t max;
    const char* name;
  };
  const Case cases[] = {
      {&Submission::interaction_id, nullptr, nullptr, 128, "interaction_id"},
      {&Submission::agent_id, nullptr, nullptr, 128, "agent_id"},
      {&Submission::queue, nullptr, nullptr, 64, "queue"},
      {&Submission::complaint_id, nullptr, nullptr, 128, "complaint_id"},
      {nullptr, &Submission::customer, &Customer::customer_id, 128, "customer.customer_id"},
      {nullptr, &Submission::customer, &Customer::phone, 32, "customer.phone"},
      {nullptr, &Submission::customer, &Customer::email, 254, "customer.email"},
      {nullptr, &Submission::customer, &Customer::display_name, 200, "customer.display_name"},
  };
  for (const Case& c : cases) {
    Submission s = ValidRating();
    std::string& value = c.field ? s.*c.field : (s.*c.customer).*c.customer_field;
    value = std::string(c.max, 'a');
    EXPECT_EQ(Check(s), "OK") << c.name;
    value += 'a';
    EXPECT_EQ(Check(s), std::string(c.name) + ": must be at most " + std::to_string(c.max) +
                            " characters");
  }
}

TEST(FeedbackValidation, OccurredAtAtMostFiveMinutesAhead) {
  Submission s = ValidRating();
  s.occurred_at = kNow + absl::Minutes(5);
  EXPECT_EQ(Check(s), "OK");
  s.occurred_at = kNow + absl::Minutes(5) + absl::Seconds(1);
  EXPECT_EQ(Check(s), "occurred_at: must not be more than 5 minutes in the future");
  s.occurred_at = kNow - absl::Hours(24 * 365);
  EXPECT_EQ(Check(s), "OK");
}

TEST(FeedbackValidation, OccurredAtNotBefore2000) {
  Submission s = ValidRating();
  s.occurred_at = EarliestOccurredAt();
  EXPECT_EQ(Check(s), "OK");
  s.occurred_at = EarliestOccurredAt() - absl::Nanoseconds(1);
  EXPECT_EQ(Check(s), "occurred_at: must not be before 2000-01-01T00:00:00Z");
  s.occurred_at = absl::FromUnixSeconds(-62135596800LL);  // year 1
  EXPECT_THAT(Check(s), StartsWith("occurred_at: "));
}

TEST(FeedbackValidation, AttributeLimits) {
  Submission s = ValidRating();
  for (int i = 0; i < 20; ++i) s.attributes["k" + std::to_string(i)] = "v";
  EXPECT_EQ(Check(s), "OK");
  s.attributes["one-too-many"] = "v";
  EXPECT_EQ(Check(s), "attributes: must have at most 20 entries");

  s = ValidRating();
  s.attributes[""] = "v";
  EXPECT_EQ(Check(s), "attributes: key is required");
  s = ValidRating();
  s.attributes[std::string(64, 'k')] = std::string(256, 'v');
  EXPECT_EQ(Check(s), "OK");
  s.attributes[std::string(65, 'k')] = "v";
  EXPECT_EQ(Check(s), "attributes: key must be at most 64 characters");
  s = ValidRating();
  s.attributes["sku"] = std::string(257, 'v');
  EXPECT_EQ(Check(s), "attributes[sku]: must be at most 256 characters");
}

TEST(FeedbackValidation, BatchHoldsOneToAThousandItems) {
  EXPECT_EQ(ValidateBatchSize(0).message(), "items: must not be empty");
  EXPECT_TRUE(ValidateBatchSize(1).ok());
  EXPECT_TRUE(ValidateBatchSize(1000).ok());
  EXPECT_EQ(ValidateBatchSize(1001).message(), "items: must have at most 1000 entries");
  EXPECT_EQ(ValidateBatchSize(10000).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace feedback::domain
