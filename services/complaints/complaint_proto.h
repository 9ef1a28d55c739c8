#pragma once

#include "feedback/v1/complaint_service.pb.h"
#include "storage/complaint_store.h"

namespace feedback::services {

// Converters between complaint records and feedback.v1 messages.
void ToProto(const domain::Complaint& c, v1::Complaint& out);
void ToProto(const storage::ComplaintEventRecord& e, v1::ComplaintEvent& out);
void ToProto(const storage::NoteRecord& n, v1::ComplaintNote& out);
void ToProto(const storage::FollowUpRecord& f, absl::Time now, v1::FollowUp& out);

}  // namespace feedback::services
