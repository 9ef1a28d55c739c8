#include "services/feedback/feedback_service.h"

#include <utility>

#include "domain/feedback_validation.h"
#include "services/common/grpc_status.h"
#include "services/feedback/feedback_proto.h"

namespace feedback::services {
namespace {

// Submits one converted request and finishes the call with `fill` applied
// to the response on success.
template <typename Fill>
void SubmitOne(Authenticator& auth, FeedbackIngestor& ingestor,
               grpc::CallbackServerContext* context, std::string_view rpc,
               grpc::ServerUnaryReactor* reactor, absl::StatusOr<domain::Submission> submission,
               Fill fill) {
  auth.Authenticate(*context, rpc, [&ingestor, reactor, submission = std::move(submission),
                               fill = std::move(fill)](
                                  absl::StatusOr<domain::Caller> caller) mutable {
    if (!caller.ok()) return reactor->Finish(ToGrpcStatus(caller.status()));
    if (!submission.ok()) return reactor->Finish(ToGrpcStatus(submission.status()));
    ingestor.Submit(*caller, *std::move(submission),
                    [reactor, fill = std::move(fill)](storage::SubmitOutcome outcome) mutable {
                      if (!outcome.ok()) return reactor->Finish(ToGrpcStatus(outcome.status()));
                      fill(*outcome);
                      reactor->Finish(grpc::Status::OK);
                    });
  });
}

void SetItemStatus(const absl::Status& status, v1::FeedbackItemResult& result) {
  result.mutable_status()->set_code(static_cast<int>(status.code()));
  result.mutable_status()->set_message(std::string(status.message()));
}

}  // namespace

grpc::ServerUnaryReactor* FeedbackServiceImpl::SubmitRating(
    grpc::CallbackServerContext* context, const v1::SubmitRatingRequest* request,
    v1::SubmitRatingResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  SubmitOne(auth_, ingestor_, context, "feedback.v1.FeedbackService/SubmitRating", reactor,
            ToSubmission(*request), [response](const domain::SubmitResult& r) { FillResponse(r, *response); });
  return reactor;
}

grpc::ServerUnaryReactor* FeedbackServiceImpl::SubmitNps(grpc::CallbackServerContext* context,
                                                         const v1::SubmitNpsRequest* request,
                                                         v1::SubmitNpsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  SubmitOne(auth_, ingestor_, context, "feedback.v1.FeedbackService/SubmitNps", reactor,
            ToSubmission(*request), [request, response](const domain::SubmitResult& r) {
              FillResponse(r, request->score(), *response);
            });
  return reactor;
}

grpc::ServerUnaryReactor* FeedbackServiceImpl::SubmitSurvey(
    grpc::CallbackServerContext* context, const v1::SubmitSurveyRequest* request,
    v1::SubmitSurveyResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<domain::Submission> submission = ToSubmission(*request);
  domain::Submission scores;  // what the response needs besides the result
  if (submission.ok()) scores.nps_score = submission->nps_score;
  SubmitOne(auth_, ingestor_, context, "feedback.v1.FeedbackService/SubmitSurvey", reactor,
            std::move(submission),
            [response, scores = std::move(scores)](const domain::SubmitResult& r) {
              FillResponse(r, scores, *response);
            });
  return reactor;
}

grpc::ServerUnaryReactor* FeedbackServiceImpl::SubmitFeedbackBatch(
    grpc::CallbackServerContext* context, const v1::SubmitFeedbackBatchRequest* request,
    v1::SubmitFeedbackBatchResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auth_.Authenticate(*context, "feedback.v1.FeedbackService/SubmitFeedbackBatch",
                     [this, reactor, request, response](
                                   absl::StatusOr<domain::Caller> caller) {
    if (!caller.ok()) return reactor->Finish(ToGrpcStatus(caller.status()));
    if (absl::Status st = domain::ValidateBatchSize(request->items_size()); !st.ok()) {
      return reactor->Finish(ToGrpcStatus(st));
    }
    std::vector<absl::StatusOr<domain::Submission>> items;
    items.reserve(request->items_size());
    for (const v1::FeedbackItem& item : request->items()) {
      switch (item.item_case()) {
        case v1::FeedbackItem::kRating:
          items.push_back(ToSubmission(item.rating()));
          break;
        case v1::FeedbackItem::kNps:
          items.push_back(ToSubmission(item.nps()));
          break;
        default:
          items.push_back(absl::InvalidArgumentError("item: must set rating or nps"));
      }
    }
    ingestor_.SubmitBatch(
        *caller, std::move(items),
        [reactor, request, response](std::vector<storage::SubmitOutcome> outcomes) {
          for (int i = 0; i < request->items_size(); ++i) {
            const v1::FeedbackItem& item = request->items(i);
            v1::FeedbackItemResult& result = *response->add_results();
            const storage::SubmitOutcome& outcome = outcomes[i];
            if (item.has_rating()) result.set_request_id(item.rating().request_id());
            if (item.has_nps()) result.set_request_id(item.nps().request_id());
            SetItemStatus(outcome.status(), result);
            if (!outcome.ok()) continue;
            if (item.has_rating()) FillResponse(*outcome, *result.mutable_rating());
            if (item.has_nps()) {
              FillResponse(*outcome, item.nps().score(), *result.mutable_nps());
            }
          }
          reactor->Finish(grpc::Status::OK);
        });
  });
  return reactor;
}

}  // namespace feedback::services
