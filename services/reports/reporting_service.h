#pragma once

#include "feedback/v1/reporting_service.grpc.pb.h"
#include "services/common/authenticator.h"
#include "services/common/worker_pool.h"
#include "storage/report_store.h"

namespace feedback::services {

// gRPC adapter of feedback.v1.ReportingService: validates the ReportQuery,
// reads the counts from the rollups on the worker pool and computes each
// row with the domain's report math.
class ReportingServiceImpl final : public v1::ReportingService::CallbackService {
 public:
  ReportingServiceImpl(Authenticator& auth, WorkerPool& workers, storage::ReportStore& store)
      : auth_(auth), workers_(workers), store_(store) {}

  grpc::ServerUnaryReactor* GetSatisfactionReport(grpc::CallbackServerContext* context,
                                                  const v1::ReportQuery* request,
                                                  v1::SatisfactionReport* response) override;
  grpc::ServerUnaryReactor* GetNpsReport(grpc::CallbackServerContext* context,
                                         const v1::ReportQuery* request,
                                         v1::NpsReport* response) override;
  grpc::ServerUnaryReactor* GetComplaintReport(grpc::CallbackServerContext* context,
                                               const v1::ReportQuery* request,
                                               v1::ComplaintReport* response) override;
  grpc::ServerUnaryReactor* GetRetentionReport(grpc::CallbackServerContext* context,
                                               const v1::ReportQuery* request,
                                               v1::RetentionReport* response) override;

 private:
  Authenticator& auth_;
  WorkerPool& workers_;
  storage::ReportStore& store_;
};

// The domain query of `request`, or INVALID_ARGUMENT naming the field.
absl::StatusOr<domain::ReportQuery> ToReportQuery(const v1::ReportQuery& request);

}  // namespace feedback::services
