#pragma once

#include "domain/clock.h"
#include "feedback/v1/complaint_service.grpc.pb.h"
#include "services/common/authenticator.h"
#include "services/common/worker_pool.h"
#include "services/complaints/claim_batcher.h"
#include "services/complaints/watch_hub.h"
#include "storage/complaint_store.h"

namespace feedback::services {

// gRPC adapter of feedback.v1.ComplaintService: authenticates each call,
// validates and converts the request, runs the store call on the worker
// pool (never on gRPC's threads; claims on the claim batcher's) and
// finishes from there.
class ComplaintServiceImpl final : public v1::ComplaintService::CallbackService {
 public:
  ComplaintServiceImpl(Authenticator& auth, WorkerPool& workers, storage::ComplaintStore& store,
                       ClaimBatcher& claims, WatchHub& hub, const domain::Clock& clock)
      : auth_(auth), workers_(workers), store_(store), claims_(claims), hub_(hub), clock_(clock) {}

  grpc::ServerUnaryReactor* FileComplaint(grpc::CallbackServerContext* context,
                                          const v1::FileComplaintRequest* request,
                                          v1::Complaint* response) override;
  grpc::ServerUnaryReactor* GetComplaint(grpc::CallbackServerContext* context,
                                         const v1::GetComplaintRequest* request,
                                         v1::Complaint* response) override;
  grpc::ServerUnaryReactor* ListComplaints(grpc::CallbackServerContext* context,
                                           const v1::ListComplaintsRequest* request,
                                           v1::ListComplaintsResponse* response) override;
  grpc::ServerUnaryReactor* ListComplaintEvents(grpc::CallbackServerContext* context,
                                                const v1::ListComplaintEventsRequest* request,
                                                v1::ListComplaintEventsResponse* response) override;
  grpc::ServerUnaryReactor* ClaimNextComplaint(grpc::CallbackServerContext* context,
                                               const v1::ClaimNextComplaintRequest* request,
                                               v1::Complaint* response) override;
  grpc::ServerUnaryReactor* AssignComplaint(grpc::CallbackServerContext* context,
                                            const v1::AssignComplaintRequest* request,
                                            v1::Complaint* response) override;
  grpc::ServerUnaryReactor* AddComplaintNote(grpc::CallbackServerContext* context,
                                             const v1::AddComplaintNoteRequest* request,
                                             v1::AddComplaintNoteResponse* response) override;
  grpc::ServerUnaryReactor* TransitionComplaint(grpc::CallbackServerContext* context,
                                                const v1::TransitionComplaintRequest* request,
                                                v1::Complaint* response) override;
  grpc::ServerUnaryReactor* EscalateComplaint(grpc::CallbackServerContext* context,
                                              const v1::EscalateComplaintRequest* request,
                                              v1::Complaint* response) override;
  grpc::ServerUnaryReactor* ScheduleFollowUp(grpc::CallbackServerContext* context,
                                             const v1::ScheduleFollowUpRequest* request,
                                             v1::FollowUp* response) override;
  grpc::ServerUnaryReactor* CompleteFollowUp(grpc::CallbackServerContext* context,
                                             const v1::CompleteFollowUpRequest* request,
                                             v1::FollowUp* response) override;
  grpc::ServerUnaryReactor* ListFollowUps(grpc::CallbackServerContext* context,
                                          const v1::ListFollowUpsRequest* request,
                                          v1::ListFollowUpsResponse* response) override;
  grpc::ServerWriteReactor<v1::ComplaintEvent>* WatchComplaints(
      grpc::CallbackServerContext* context, const v1::WatchComplaintsRequest* request) override;

 private:
  using Work = absl::AnyInvocable<absl::Status(const domain::Caller&) &&>;
  // RunBlockingCall with this service's authenticator and workers.
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context, std::string_view method,
                                Work work);

  Authenticator& auth_;
  WorkerPool& workers_;
  storage::ComplaintStore& store_;
  ClaimBatcher& claims_;
  WatchHub& hub_;
  const domain::Clock& clock_;
};

}  // namespace feedback::services
