#pragma once

#include <map>
#include <optional>
#include <string>

#include "absl/time/time.h"

namespace feedback::domain {

// Numbering matches feedback.v1.Channel.
enum class Channel : int {
  kUnspecified = 0,
  kIvr = 1,
  kCheckout = 2,
  kWeb = 3,
  kEmail = 4,
  kChat = 5,
  kAgent = 6,
};
inline constexpr int kMaxChannel = 6;

// What a stored score measures. Values are stored in feedback.kind.
enum class ScoreKind : int { kCsat = 1, kNps = 2 };

// Which submit produced a record. Values are stored in idempotency_keys.kind;
// a request_id reused across kinds is a conflict.
enum class SubmitKind : int { kRating = 1, kNps = 2, kSurvey = 3 };

// Numbering matches feedback.v1.NpsCategory.
enum class NpsCategory : int {
  kUnspecified = 0,
  kPromoter = 1,
  kPassive = 2,
  kDetractor = 3,
};

// Promoter 9-10, passive 7-8, detractor 0-6. Scores outside 0-10 have no
// category (kUnspecified).
NpsCategory CategorizeNps(int score);

struct Customer {
  std::string customer_id;
  std::string phone;
  std::string email;
  std::string display_name;
};

// One submit (rating, NPS answer or survey) as the caller sent it. A rating
// sets csat_score, an NPS answer nps_score, a survey either or both.
struct Submission {
  SubmitKind kind = SubmitKind::kRating;
  std::string request_id;
  int channel = 0;  // raw wire value; validation checks the range
  Customer customer;
  std::string interaction_id;
  std::string agent_id;
  std::string queue;
  std::optional<int> csat_score;
  std::optional<int> nps_score;
  std::string comment;
  std::optional<absl::Time> occurred_at;  // unset: the receive time
  std::map<std::string, std::string> attributes;
  std::string complaint_id;
};

// What a submit produced; returned again, unchanged, for every replay.
struct SubmitResult {
  std::string csat_feedback_id;  // empty when no CSAT score was stored
  std::string nps_feedback_id;   // empty when no NPS score was stored
  absl::Time received_at;
  std::string follow_up_complaint_id;  // empty unless the loop was closed
  bool duplicate = false;
};

}  // namespace feedback::domain
