#include "services/complaints/complaint_proto.h"

#include "services/common/proto_time.h"

namespace feedback::services {
namespace {

void SetTime(const std::optional<absl::Time>& t, google::protobuf::Timestamp* out) {
  if (t) *out = ToProtoTime(*t);
}

}  // namespace

void ToProto(const domain::Complaint& c, v1::Complaint& out) {
  out.set_id(c.id);
  out.set_status(static_cast<v1::ComplaintStatus>(c.status));
  out.set_priority(static_cast<v1::Priority>(c.priority));
  out.set_queue(c.queue);
  out.set_category(c.category);
  out.set_channel(static_cast<v1::Channel>(c.channel));
  out.mutable_customer()->set_customer_id(c.customer.customer_id);
  out.mutable_customer()->set_phone(c.customer.phone);
  out.mutable_customer()->set_email(c.customer.email);
  out.mutable_customer()->set_display_name(c.customer.display_name);
  out.set_interaction_id(c.interaction_id);
  out.set_subject(c.subject);
  out.set_description(c.description);
  out.set_assignee_id(c.assignee_id);
  *out.mutable_created_at() = ToProtoTime(c.created_at);
  *out.mutable_updated_at() = ToProtoTime(c.updated_at);
  if (c.first_response_at) SetTime(c.first_response_at, out.mutable_first_response_at());
  if (c.resolved_at) SetTime(c.resolved_at, out.mutable_resolved_at());
  if (c.closed_at) SetTime(c.closed_at, out.mutable_closed_at());
  *out.mutable_first_response_due_at() = ToProtoTime(c.first_response_due_at);
  *out.mutable_resolution_due_at() = ToProtoTime(c.resolution_due_at);
  out.set_sla_paused(c.sla_paused);
  out.set_first_response_breached(c.first_response_breached);
  out.set_resolution_breached(c.resolution_breached);
  out.set_escalation_level(c.escalation_level);
  out.set_reopen_count(c.reopen_count);
  out.set_source_feedback_id(c.source_feedback_id);
  out.set_resolution_code(c.resolution_code);
  out.set_etag(std::to_string(c.version));
}

void ToProto(const storage::ComplaintEventRecord& e, v1::ComplaintEvent& out) {
  out.set_id(std::to_string(e.id));
  out.set_complaint_id(e.complaint_id);
  out.set_queue(e.queue);
  out.set_kind(static_cast<v1::ComplaintEventKind>(e.kind));
  out.set_actor(e.actor);
  *out.mutable_occurred_at() = ToProtoTime(e.occurred_at);
  out.mutable_before()->insert(e.before.begin(), e.before.end());
  out.mutable_after()->insert(e.after.begin(), e.after.end());
  out.set_detail(e.detail);
}

void ToProto(const storage::NoteRecord& n, v1::ComplaintNote& out) {
  out.set_id(n.id);
  out.set_complaint_id(n.complaint_id);
  out.set_author(n.author);
  out.set_body(n.body);
  out.set_visibility(n.is_public ? v1::NOTE_VISIBILITY_PUBLIC : v1::NOTE_VISIBILITY_INTERNAL);
  *out.mutable_created_at() = ToProtoTime(n.created_at);
}

void ToProto(const storage::FollowUpRecord& f, absl::Time now, v1::FollowUp& out) {
  out.set_id(f.id);
  out.set_complaint_id(f.complaint_id);
  out.set_queue(f.queue);
  out.set_kind(static_cast<v1::FollowUpKind>(f.kind));
  out.set_status(f.done ? v1::FOLLOW_UP_STATUS_DONE : v1::FOLLOW_UP_STATUS_PENDING);
  *out.mutable_due_at() = ToProtoTime(f.due_at);
  out.set_note(f.note);
  out.set_outcome(f.outcome);
  out.set_created_by(f.created_by);
  *out.mutable_created_at() = ToProtoTime(f.created_at);
  if (f.completed_at) SetTime(f.completed_at, out.mutable_completed_at());
  out.set_overdue(!f.done && f.due_at < now);
}

}  // namespace feedback::services
