#pragma once

#include "absl/status/statusor.h"
#include "domain/feedback.h"
#include "feedback/v1/feedback_service.pb.h"

namespace feedback::services {

// Converters between feedback.v1 messages and domain types. Requests become
// Submissions (INVALID_ARGUMENT naming the field for what cannot be
// represented, e.g. a malformed occurred_at); results fill responses.
absl::StatusOr<domain::Submission> ToSubmission(const v1::SubmitRatingRequest& request);
absl::StatusOr<domain::Submission> ToSubmission(const v1::SubmitNpsRequest& request);
absl::StatusOr<domain::Submission> ToSubmission(const v1::SubmitSurveyRequest& request);

void FillResponse(const domain::SubmitResult& result, v1::SubmitRatingResponse& response);
void FillResponse(const domain::SubmitResult& result, int score,
                  v1::SubmitNpsResponse& response);
void FillResponse(const domain::SubmitResult& result, const domain::Submission& submission,
                  v1::SubmitSurveyResponse& response);

}  // namespace feedback::services
