#include "services/complaints/complaint_service.h"

#include <deque>

#include "domain/sha256.h"
#include "domain/text.h"
#include "services/common/blocking_call.h"
#include "services/common/grpc_status.h"
#include "services/common/proto_time.h"
#include "services/complaints/complaint_proto.h"

namespace feedback::services {
namespace {

using domain::CheckText;

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;
constexpr size_t kMaxQueuesPerCall = 50;
// Events a watcher may have waiting before it is ended as too slow.
constexpr size_t kMaxWatchBacklog = 1000;

absl::StatusOr<int> PageSize(int32_t requested) {
  if (requested < 0) return absl::InvalidArgumentError("page_size: must not be negative");
  if (requested == 0) return kDefaultPageSize;
  return std::min<int>(requested, kMaxPageSize);
}

absl::Status RequireId(const char* field, const std::string& id) {
  return CheckText(field, id, 64, /*required=*/true);
}

absl::Status CheckQueues(const google::protobuf::RepeatedPtrField<std::string>& queues,
                         bool required) {
  if (required && queues.empty()) return absl::InvalidArgumentError("queues: is required");
  if (static_cast<size_t>(queues.size()) > kMaxQueuesPerCall) {
    return absl::InvalidArgumentError("queues: must have at most 50 entries");
  }
  for (const std::string& q : queues) {
    if (absl::Status st = CheckText("queues", q, domain::ComplaintLimits::kQueue, true); !st.ok()) {
      return st;
    }
  }
  return absl::OkStatus();
}

// A follow-up's due time: a well-formed Timestamp from 2000 on.
absl::StatusOr<absl::Time> DueTime(const google::protobuf::Timestamp& ts) {
  absl::StatusOr<absl::Time> t = FromProtoTime("due_at", ts);
  if (!t.ok() || *t < absl::FromUnixSeconds(946684800)) {
    return absl::InvalidArgumentError("due_at: must be a valid time after 2000-01-01");
  }
  return t;
}

// Streams events of the watched queues to one client; ends it with
// RESOURCE_EXHAUSTED when it falls kMaxWatchBacklog events behind. It
// subscribes once the caller is authenticated, and is freed when both the
// call is done and authentication has answered, whichever comes last.
class WatchReactor final : public grpc::ServerWriteReactor<v1::ComplaintEvent>,
                           public WatchHub::Watcher {
 public:
  WatchReactor(WatchHub& hub, std::set<std::string> queues)
      : hub_(hub), queues_(std::move(queues)) {}

  void Authenticated(const absl::StatusOr<domain::Caller>& caller) {
    bool destroy = false;
    {
      absl::MutexLock lock(&mu_);
      authenticated_ = true;
      absl::Status allowed = caller.status();
      if (allowed.ok()) allowed = ScopeQueues(domain::QueueScope::Of(*caller));
      if (!allowed.ok()) {
        FinishLocked(ToGrpcStatus(allowed));
      } else if (!finished_) {
        subscription_ = hub_.Subscribe(queues_, this);
      }
      destroy = done_;
    }
    if (destroy) Destroy();
  }

  void Deliver(const storage::ComplaintEventRecord& event) override {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    if (backlog_.size() >= kMaxWatchBacklog) {
      FinishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                "watch: client too slow; list complaints, then watch again"));
      return;
    }
    v1::ComplaintEvent message;
    ToProto(event, message);
    backlog_.push_back(std::move(message));
    WriteNextLocked();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "watch: stream closed"));
      return;
    }
    backlog_.pop_front();
    WriteNextLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void Close() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "watch: server shutting down"));
  }

  void OnDone() override {
    bool destroy = false;
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
      destroy = authenticated_;
    }
    if (destroy) Destroy();
  }

 private:
  // Narrows the watched queues to `scope`: all of its queues when none were
  // asked for; PERMISSION_DENIED for a queue outside it.
  absl::Status ScopeQueues(const domain::QueueScope& scope) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (scope.all()) return absl::OkStatus();
    if (queues_.empty()) {
      if (scope.queues().empty()) return domain::QueueScope::Denied();
      queues_.insert(scope.queues().begin(), scope.queues().end());
    }
    for (const std::string& q : queues_) {
      if (!scope.Allows(q)) return domain::QueueScope::Denied();
    }
    return absl::OkStatus();
  }

  void Destroy() {
    if (subscription_) hub_.Unsubscribe(subscription_);  // no Deliver() runs after this
    delete this;
  }
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_ || backlog_.empty()) return;
    writing_ = true;
    StartWrite(&backlog_.front());
  }
  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  WatchHub& hub_;
  std::set<std::string> queues_ ABSL_GUARDED_BY(mu_);  // empty: all queues
  absl::Mutex mu_;
  std::shared_ptr<WatchHub::Subscription> subscription_;  // set once, under mu_
  std::deque<v1::ComplaintEvent> backlog_ ABSL_GUARDED_BY(mu_);  // front is being written
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool authenticated_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerUnaryReactor* ComplaintServiceImpl::Run(grpc::CallbackServerContext* context,
                                                    std::string_view method, Work work) {
  return RunBlockingCall(auth_, workers_, context,
                         std::string("feedback.v1.ComplaintService/").append(method),
                         std::move(work));
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::FileComplaint(
    grpc::CallbackServerContext* context, const v1::FileComplaintRequest* r,
    v1::Complaint* response) {
  return Run(context, "FileComplaint", [this, r, response](const domain::Caller& caller) -> absl::Status {
    if (absl::Status st = CheckText("request_id", r->request_id(), 128, true); !st.ok()) return st;
    domain::Complaint draft;
    draft.channel = static_cast<int>(r->channel());
    draft.customer = {r->customer().customer_id(), r->customer().phone(), r->customer().email(),
                      r->customer().display_name()};
    draft.interaction_id = r->interaction_id();
    draft.category = r->category();
    draft.priority = r->priority() == v1::PRIORITY_UNSPECIFIED
                         ? domain::Priority::kNormal
                         : static_cast<domain::Priority>(r->priority());
    draft.queue = r->queue().empty() ? "general" : r->queue();
    draft.subject = r->subject();
    draft.description = r->description();
    draft.source_feedback_id = r->source_feedback_id();
    if (absl::Status st = domain::ValidateNewComplaint(draft); !st.ok()) return st;
    if (!domain::QueueScope::Of(caller).Allows(draft.queue)) {
      return absl::PermissionDeniedError("queue: not one of the caller's queues");
    }
    if (!draft.source_feedback_id.empty() && draft.source_feedback_id.size() != 36) {
      return absl::InvalidArgumentError("source_feedback_id: is not a feedback id");
    }
    v1::FileComplaintRequest payload = *r;
    payload.clear_request_id();
    storage::FileRequest file{caller.key_id, r->request_id(),
                              domain::Sha256(payload.SerializeAsString())};
    absl::StatusOr<storage::FiledComplaint> filed =
        store_.File(file, std::move(draft), caller.key_name, clock_.Now());
    if (!filed.ok()) return filed.status();
    ToProto(filed->complaint, *response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::GetComplaint(grpc::CallbackServerContext* context,
                                                             const v1::GetComplaintRequest* r,
                                                             v1::Complaint* response) {
  return Run(context, "GetComplaint", [this, r, response](const domain::Caller& caller) -> absl::Status {
    if (absl::Status st = RequireId("id", r->id()); !st.ok()) return st;
    absl::StatusOr<domain::Complaint> c = store_.Get(domain::QueueScope::Of(caller), r->id());
    if (!c.ok()) return c.status();
    ToProto(*c, *response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ListComplaints(
    grpc::CallbackServerContext* context, const v1::ListComplaintsRequest* r,
    v1::ListComplaintsResponse* response) {
  return Run(context, "ListComplaints", [this, r, response](const domain::Caller& caller) -> absl::Status {
    absl::StatusOr<int> page_size = PageSize(r->page_size());
    if (!page_size.ok()) return page_size.status();
    storage::ComplaintFilter filter;
    filter.queue = r->queue();
    for (int s : r->statuses()) {
      if (s < 1 || s > 5) return absl::InvalidArgumentError("statuses: unknown status");
      filter.statuses.push_back(s);
    }
    filter.assignee_id = r->assignee_id();
    if (r->priority() < 0 || r->priority() > 4) {
      return absl::InvalidArgumentError("priority: unknown priority");
    }
    filter.priority = r->priority();
    filter.customer_id = r->customer_id();
    filter.breached_only = r->breached_only();
    filter.newest_first = r->order() == v1::COMPLAINT_ORDER_NEWEST;
    for (const auto& [field, value] : {std::pair{"queue", &filter.queue},
                                       std::pair{"assignee_id", &filter.assignee_id},
                                       std::pair{"customer_id", &filter.customer_id}}) {
      if (absl::Status st = CheckText(field, *value, 128); !st.ok()) return st;
    }
    absl::StatusOr<storage::Page<domain::Complaint>> page =
        store_.List(domain::QueueScope::Of(caller), filter, *page_size, r->page_token());
    if (!page.ok()) return page.status();
    for (const auto& c : page->items) ToProto(c, *response->add_complaints());
    response->set_next_page_token(page->next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ListComplaintEvents(
    grpc::CallbackServerContext* context, const v1::ListComplaintEventsRequest* r,
    v1::ListComplaintEventsResponse* response) {
  return Run(context, "ListComplaintEvents", [this, r, response](const domain::Caller& caller) -> absl::Status {
    if (absl::Status st = RequireId("complaint_id", r->complaint_id()); !st.ok()) return st;
    absl::StatusOr<int> page_size = PageSize(r->page_size());
    if (!page_size.ok()) return page_size.status();
    absl::StatusOr<storage::Page<storage::ComplaintEventRecord>> page =
        store_.ListEvents(domain::QueueScope::Of(caller), r->complaint_id(), *page_size, r->page_token());
    if (!page.ok()) return page.status();
    for (const auto& e : page->items) ToProto(e, *response->add_events());
    response->set_next_page_token(page->next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ClaimNextComplaint(
    grpc::CallbackServerContext* context, const v1::ClaimNextComplaintRequest* r,
    v1::Complaint* response) {
  // Not a blocking call on the workers: the claim batcher serves concurrent
  // claims in one transaction and finishes each call from its thread.
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auth_.Authenticate(
      *context, "feedback.v1.ComplaintService/ClaimNextComplaint",
      [this, context, reactor, r, response](absl::StatusOr<domain::Caller> caller) {
        if (!caller.ok()) return reactor->Finish(ToGrpcStatus(caller.status()));
        if (absl::Status st = CheckQueues(r->queues(), true); !st.ok()) {
          return reactor->Finish(ToGrpcStatus(st));
        }
        const domain::QueueScope scope = domain::QueueScope::Of(*caller);
        for (const std::string& q : r->queues()) {
          if (!scope.Allows(q)) return reactor->Finish(ToGrpcStatus(domain::QueueScope::Denied()));
        }
        ClaimJob job;
        job.request = {{r->queues().begin(), r->queues().end()}, caller->key_name};
        job.deadline = CallDeadline(*context);
        job.cancelled = [context] { return context->IsCancelled(); };
        job.done = [reactor, response](absl::StatusOr<domain::Complaint> c) {
          if (!c.ok()) return reactor->Finish(ToGrpcStatus(c.status()));
          ToProto(*c, *response);
          reactor->Finish(grpc::Status::OK);
        };
        if (absl::Status st = claims_.Enqueue(std::move(job)); !st.ok()) {
          reactor->Finish(ToGrpcStatus(st));
        }
      });
  return reactor;
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::AssignComplaint(
    grpc::CallbackServerContext* context, const v1::AssignComplaintRequest* r,
    v1::Complaint* response) {
  return Run(context, "AssignComplaint", [this, r, response](const domain::Caller& caller) -> absl::Status {
    if (absl::Status st = RequireId("id", r->id()); !st.ok()) return st;
    if (absl::Status st = RequireId("etag", r->etag()); !st.ok()) return st;
    if (absl::Status st = CheckText("assignee_id", r->assignee_id(),
                                    domain::ComplaintLimits::kAssignee);
        !st.ok()) {
      return st;
    }
    absl::StatusOr<domain::Complaint> c =
        store_.Assign(domain::QueueScope::Of(caller), r->id(), r->etag(), r->assignee_id(), caller.key_name, clock_.Now());
    if (!c.ok()) return c.status();
    ToProto(*c, *response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::AddComplaintNote(
    grpc::CallbackServerContext* context, const v1::AddComplaintNoteRequest* r,
    v1::AddComplaintNoteResponse* response) {
  return Run(context, "AddComplaintNote", [this, r, response](const domain::Caller& caller) -> absl::Status {
    if (absl::Status st = RequireId("id", r->id()); !st.ok()) return st;
    if (absl::Status st = CheckText("body", r->body(), domain::ComplaintLimits::kNoteBody, true);
        !st.ok()) {
      return st;
    }
    if (r->visibility() != v1::NOTE_VISIBILITY_INTERNAL &&
        r->visibility() != v1::NOTE_VISIBILITY_PUBLIC) {
      return absl::InvalidArgumentError("visibility: must be INTERNAL or PUBLIC");
    }
    auto added = store_.AddNote(domain::QueueScope::Of(caller), r->id(), r->body(), r->visibility() == v1::NOTE_VISIBILITY_PUBLIC,
                                caller.key_name, clock_.Now());
    if (!added.ok()) return added.status();
    ToProto(added->first, *response->mutable_note());
    ToProto(added->second, *response->mutable_complaint());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::TransitionComplaint(
    grpc::CallbackServerContext* context, const v1::TransitionComplaintRequest* r,
    v1::Complaint* response) {
  return Run(context, "TransitionComplaint", [this, r, response](const domain::Caller& caller) -> absl::Status {
    if (absl::Status st = RequireId("id", r->id()); !st.ok()) return st;
    if (absl::Status st = RequireId("etag", r->etag()); !st.ok()) return st;
    if (r->to_status() < 1 || r->to_status() > 5) {
      return absl::InvalidArgumentError("to_status: must be a known status");
    }
    if (absl::Status st = CheckText("note", r->note(), domain::ComplaintLimits::kNoteBody);
        !st.ok()) {
      return st;
    }
    absl::StatusOr<domain::Complaint> c = store_.Transition(domain::QueueScope::Of(caller), 
        r->id(), r->etag(), static_cast<domain::ComplaintStatus>(r->to_status()),
        r->resolution_code(), r->note(), caller.key_name, clock_.Now());
    if (!c.ok()) return c.status();
    ToProto(*c, *response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::EscalateComplaint(
    grpc::CallbackServerContext* context, const v1::EscalateComplaintRequest* r,
    v1::Complaint* response) {
  return Run(context, "EscalateComplaint", [this, r, response](const domain::Caller& caller) -> absl::Status {
    if (absl::Status st = RequireId("id", r->id()); !st.ok()) return st;
    if (absl::Status st = RequireId("etag", r->etag()); !st.ok()) return st;
    if (absl::Status st = CheckText("reason", r->reason(), domain::ComplaintLimits::kReason, true);
        !st.ok()) {
      return st;
    }
    absl::StatusOr<domain::Complaint> c =
        store_.Escalate(domain::QueueScope::Of(caller), r->id(), r->etag(), r->reason(), caller.key_name, clock_.Now());
    if (!c.ok()) return c.status();
    ToProto(*c, *response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ScheduleFollowUp(
    grpc::CallbackServerContext* context, const v1::ScheduleFollowUpRequest* r,
    v1::FollowUp* response) {
  return Run(context, "ScheduleFollowUp", [this, r, response](const domain::Caller& caller) -> absl::Status {
    if (absl::Status st = RequireId("complaint_id", r->complaint_id()); !st.ok()) return st;
    if (r->kind() < 1 || r->kind() > 3) {
      return absl::InvalidArgumentError("kind: must be CALLBACK, EMAIL or SURVEY");
    }
    if (!r->has_due_at()) return absl::InvalidArgumentError("due_at: is required");
    absl::StatusOr<absl::Time> due = DueTime(r->due_at());
    if (!due.ok()) return due.status();
    if (absl::Status st = CheckText("note", r->note(), domain::ComplaintLimits::kFollowUpText);
        !st.ok()) {
      return st;
    }
    const absl::Time now = clock_.Now();
    absl::StatusOr<storage::FollowUpRecord> f =
        store_.ScheduleFollowUp(domain::QueueScope::Of(caller), r->complaint_id(), r->kind(), *due, r->note(), caller.key_name, now);
    if (!f.ok()) return f.status();
    ToProto(*f, now, *response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::CompleteFollowUp(
    grpc::CallbackServerContext* context, const v1::CompleteFollowUpRequest* r,
    v1::FollowUp* response) {
  return Run(context, "CompleteFollowUp", [this, r, response](const domain::Caller& caller) -> absl::Status {
    if (absl::Status st = RequireId("follow_up_id", r->follow_up_id()); !st.ok()) return st;
    if (absl::Status st =
            CheckText("outcome", r->outcome(), domain::ComplaintLimits::kFollowUpText, true);
        !st.ok()) {
      return st;
    }
    const absl::Time now = clock_.Now();
    absl::StatusOr<storage::FollowUpRecord> f =
        store_.CompleteFollowUp(domain::QueueScope::Of(caller), r->follow_up_id(), r->outcome(), caller.key_name, now);
    if (!f.ok()) return f.status();
    ToProto(*f, now, *response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ListFollowUps(
    grpc::CallbackServerContext* context, const v1::ListFollowUpsRequest* r,
    v1::ListFollowUpsResponse* response) {
  return Run(context, "ListFollowUps", [this, r, response](const domain::Caller& caller) -> absl::Status {
    absl::StatusOr<int> page_size = PageSize(r->page_size());
    if (!page_size.ok()) return page_size.status();
    if (absl::Status st = CheckText("complaint_id", r->complaint_id(), 64); !st.ok()) return st;
    if (absl::Status st = CheckText("queue", r->queue(), domain::ComplaintLimits::kQueue); !st.ok()) {
      return st;
    }
    storage::FollowUpFilter filter{r->complaint_id(), r->queue(), r->pending_only(),
                                   r->overdue_only()};
    const absl::Time now = clock_.Now();
    absl::StatusOr<storage::Page<storage::FollowUpRecord>> page =
        store_.ListFollowUps(domain::QueueScope::Of(caller), filter, *page_size, r->page_token(), now);
    if (!page.ok()) return page.status();
    for (const auto& f : page->items) ToProto(f, now, *response->add_follow_ups());
    response->set_next_page_token(page->next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<v1::ComplaintEvent>* ComplaintServiceImpl::WatchComplaints(
    grpc::CallbackServerContext* context, const v1::WatchComplaintsRequest* request) {
  auto* reactor = new WatchReactor(hub_, {request->queues().begin(), request->queues().end()});
  if (absl::Status st = CheckQueues(request->queues(), false); !st.ok()) {
    reactor->Authenticated(st);
    return reactor;
  }
  auth_.Authenticate(*context, "feedback.v1.ComplaintService/WatchComplaints",
                     [reactor](absl::StatusOr<domain::Caller> caller) {
    reactor->Authenticated(caller);
  });
  return reactor;
}

}  // namespace feedback::services
