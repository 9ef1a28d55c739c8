#pragma once

#include "feedback/v1/feedback_service.grpc.pb.h"
#include "services/common/authenticator.h"
#include "services/feedback/feedback_ingestor.h"

namespace feedback::services {

// gRPC adapter of feedback.v1.FeedbackService: authenticates the call,
// converts the request, hands it to the FeedbackIngestor and finishes the
// call when the ingestor reports. Handlers never block.
class FeedbackServiceImpl final : public v1::FeedbackService::CallbackService {
 public:
  FeedbackServiceImpl(Authenticator& auth, FeedbackIngestor& ingestor)
      : auth_(auth), ingestor_(ingestor) {}

  grpc::ServerUnaryReactor* SubmitRating(grpc::CallbackServerContext* context,
                                         const v1::SubmitRatingRequest* request,
                                         v1::SubmitRatingResponse* response) override;
  grpc::ServerUnaryReactor* SubmitNps(grpc::CallbackServerContext* context,
                                      const v1::SubmitNpsRequest* request,
                                      v1::SubmitNpsResponse* response) override;
  grpc::ServerUnaryReactor* SubmitSurvey(grpc::CallbackServerContext* context,
                                         const v1::SubmitSurveyRequest* request,
                                         v1::SubmitSurveyResponse* response) override;
  grpc::ServerUnaryReactor* SubmitFeedbackBatch(
      grpc::CallbackServerContext* context, const v1::SubmitFeedbackBatchRequest* request,
      v1::SubmitFeedbackBatchResponse* response) override;

 private:
  Authenticator& auth_;
  FeedbackIngestor& ingestor_;
};

}  // namespace feedback::services
