#include "domain/access.h"

#include <algorithm>
#include <initializer_list>
#include <utility>

namespace feedback::domain {
namespace {

using R = Role;

struct Right {
  std::string_view rpc;
  std::initializer_list<Role> roles;
};

// Who may call what (see README.md, "Roles"). Admins may call everything.
const Right kRights[] = {
    {"feedback.v1.FeedbackService/SubmitRating", {R::kIngest}},
    {"feedback.v1.FeedbackService/SubmitNps", {R::kIngest}},
    {"feedback.v1.FeedbackService/SubmitSurvey", {R::kIngest}},
    {"feedback.v1.FeedbackService/SubmitFeedbackBatch", {R::kIngest}},
    {"feedback.v1.ComplaintService/FileComplaint", {R::kIngest, R::kAgent, R::kSupervisor}},
    {"feedback.v1.ComplaintService/GetComplaint", {R::kAgent, R::kSupervisor, R::kManager}},
    {"feedback.v1.ComplaintService/ListComplaints", {R::kAgent, R::kSupervisor, R::kManager}},
    {"feedback.v1.ComplaintService/ListComplaintEvents", {R::kAgent, R::kSupervisor, R::kManager}},
    {"feedback.v1.ComplaintService/ListFollowUps", {R::kAgent, R::kSupervisor, R::kManager}},
    {"feedback.v1.ComplaintService/WatchComplaints", {R::kAgent, R::kSupervisor, R::kManager}},
    {"feedback.v1.ComplaintService/ClaimNextComplaint", {R::kAgent, R::kSupervisor}},
    {"feedback.v1.ComplaintService/AddComplaintNote", {R::kAgent, R::kSupervisor}},
    {"feedback.v1.ComplaintService/TransitionComplaint", {R::kAgent, R::kSupervisor}},
    {"feedback.v1.ComplaintService/EscalateComplaint", {R::kAgent, R::kSupervisor}},
    {"feedback.v1.ComplaintService/ScheduleFollowUp", {R::kAgent, R::kSupervisor}},
    {"feedback.v1.ComplaintService/CompleteFollowUp", {R::kAgent, R::kSupervisor}},
    {"feedback.v1.ComplaintService/AssignComplaint", {R::kSupervisor}},
    {"feedback.v1.ReportingService/GetSatisfactionReport", {R::kManager}},
    {"feedback.v1.ReportingService/GetNpsReport", {R::kManager}},
    {"feedback.v1.ReportingService/GetComplaintReport", {R::kManager}},
    {"feedback.v1.ReportingService/GetRetentionReport", {R::kManager}},
    // AdminService: admins only (they pass every check above).
};

}  // namespace

absl::Status AuthorizeRpc(std::string_view rpc, const Caller& caller) {
  if (caller.role == Role::kAdmin) return absl::OkStatus();
  for (const Right& right : kRights) {
    if (right.rpc != rpc) continue;
    if (std::find(right.roles.begin(), right.roles.end(), caller.role) != right.roles.end()) {
      return absl::OkStatus();
    }
    break;
  }
  std::string message = "permission denied: role ";
  message.append(RoleName(caller.role)).append(" may not call ").append(rpc);
  return absl::PermissionDeniedError(message);
}

QueueScope QueueScope::Of(const Caller& caller) {
  if (caller.role == Role::kAgent) return QueueScope(false, caller.queues);
  return All();
}

bool QueueScope::Allows(std::string_view queue) const {
  return all_ || std::find(queues_.begin(), queues_.end(), queue) != queues_.end();
}

absl::Status QueueScope::Denied() {
  return absl::PermissionDeniedError(
      "permission denied: no such complaint in the caller's queues");
}

}  // namespace feedback::domain
