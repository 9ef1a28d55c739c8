#include "domain/feedback_validation.h"

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "domain/text.h"

namespace feedback::domain {
namespace {

absl::Status Invalid(std::string_view field, std::string_view problem) {
  std::string message(field);
  message.append(": ").append(problem);
  return absl::InvalidArgumentError(message);
}

absl::Status CheckScore(std::string_view field, int score, int min, int max) {
  if (score < min || score > max) {
    return Invalid(field, absl::StrCat("must be between ", min, " and ", max));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Time EarliestOccurredAt() { return absl::FromUnixSeconds(946684800); }  // 2000-01-01

absl::Status ValidateSubmission(const Submission& s, absl::Time now) {
  using L = FeedbackLimits;
  absl::Status st = CheckText("request_id", s.request_id, L::kRequestId, true);
  if (!st.ok()) return st;
  if (s.channel <= static_cast<int>(Channel::kUnspecified) || s.channel > kMaxChannel) {
    return Invalid("channel", s.channel == 0 ? "is required" : "is not a known channel");
  }
  const std::pair<std::string_view, std::pair<const std::string*, size_t>> texts[] = {
      {"customer.customer_id", {&s.customer.customer_id, L::kCustomerId}},
      {"customer.phone", {&s.customer.phone, L::kPhone}},
      {"customer.email", {&s.customer.email, L::kEmail}},
      {"customer.display_name", {&s.customer.display_name, L::kDisplayName}},
      {"interaction_id", {&s.interaction_id, L::kInteractionId}},
      {"agent_id", {&s.agent_id, L::kAgentId}},
      {"queue", {&s.queue, L::kQueue}},
      {"comment", {&s.comment, L::kComment}},
      {"complaint_id", {&s.complaint_id, L::kComplaintId}},
  };
  for (const auto& [field, value] : texts) {
    if (st = CheckText(field, *value.first, value.second); !st.ok()) return st;
  }

  switch (s.kind) {
    case SubmitKind::kRating:
      if (!s.csat_score || s.nps_score) return Invalid("score", "is required");
      st = CheckScore("score", *s.csat_score, 1, 5);
      break;
    case SubmitKind::kNps:
      if (!s.nps_score || s.csat_score) return Invalid("score", "is required");
      st = CheckScore("score", *s.nps_score, 0, 10);
      break;
    case SubmitKind::kSurvey:
      if (!s.csat_score && !s.nps_score) {
        return Invalid("csat_score", "at least one of csat_score and nps_score is required");
      }
      if (s.csat_score) st = CheckScore("csat_score", *s.csat_score, 1, 5);
      if (st.ok() && s.nps_score) st = CheckScore("nps_score", *s.nps_score, 0, 10);
      break;
  }
  if (!st.ok()) return st;

  if (s.occurred_at) {
    if (*s.occurred_at > now + kMaxFutureSkew) {
      return Invalid("occurred_at", "must not be more than 5 minutes in the future");
    }
    if (*s.occurred_at < EarliestOccurredAt()) {
      return Invalid("occurred_at", "must not be before 2000-01-01T00:00:00Z");
    }
  }

  if (s.attributes.size() > L::kAttributes) {
    return Invalid("attributes", absl::StrCat("must have at most ", L::kAttributes, " entries"));
  }
  for (const auto& [key, value] : s.attributes) {
    if (auto problem = TextProblem(key, L::kAttributeKey, true)) {
      return Invalid("attributes", "key " + *problem);
    }
    if (auto problem = TextProblem(value, L::kAttributeValue, false)) {
      // The key passed its check above, so it is safe to echo.
      return Invalid("attributes[" + key + "]", *problem);
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateBatchSize(size_t item_count) {
  if (item_count == 0) return Invalid("items", "must not be empty");
  if (item_count > FeedbackLimits::kBatchItems) {
    return Invalid("items", absl::StrCat("must have at most ", FeedbackLimits::kBatchItems,
                                         " entries"));
  }
  return absl::OkStatus();
}

}  // namespace feedback::domain
