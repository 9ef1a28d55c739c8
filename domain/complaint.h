#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "domain/business_calendar.h"
#include "domain/feedback.h"

namespace feedback::domain {

// Numbering matches feedback.v1.ComplaintStatus and the database.
enum class ComplaintStatus : int {
  kUnspecified = 0,
  kNew = 1,
  kInProgress = 2,
  kWaitingOnCustomer = 3,
  kResolved = 4,
  kClosed = 5,
};

// Numbering matches feedback.v1.Priority and the database.
enum class Priority : int { kUnspecified = 0, kLow = 1, kNormal = 2, kHigh = 3, kUrgent = 4 };

std::string_view StatusName(ComplaintStatus status);  // "IN_PROGRESS", ...
std::string_view PriorityName(Priority priority);      // "HIGH", ...

// Numbering matches feedback.v1.ComplaintEventKind and the database.
enum class EventKind : int {
  kCreated = 1,
  kClaimed = 2,
  kAssigned = 3,
  kNoteAdded = 4,
  kTransitioned = 5,
  kEscalated = 6,
  kSlaBreached = 7,
  kFollowUpScheduled = 8,
  kFollowUpCompleted = 9,
  kAutoClosed = 10,
};

// SLA targets of one priority, in business time of `calendar`.
struct SlaPolicy {
  Priority priority = Priority::kNormal;
  absl::Duration first_response;
  absl::Duration resolution;
  BusinessCalendar calendar = BusinessCalendar::AlwaysOpen();
};

// A policy per priority (LOW..URGENT).
using SlaPolicies = std::map<Priority, SlaPolicy>;

struct Complaint {
  std::string id;
  ComplaintStatus status = ComplaintStatus::kNew;
  Priority priority = Priority::kNormal;
  std::string queue;
  std::string category;
  int channel = 0;
  Customer customer;
  std::string interaction_id;
  std::string subject;
  std::string description;
  std::string assignee_id;
  absl::Time created_at;
  absl::Time updated_at;
  std::optional<absl::Time> first_response_at;
  std::optional<absl::Time> resolved_at;
  std::optional<absl::Time> closed_at;
  absl::Time first_response_due_at;
  absl::Time resolution_due_at;
  bool sla_paused = false;
  std::optional<absl::Time> paused_at;
  absl::Duration paused_business;  // completed pauses, in business time
  bool first_response_breached = false;
  bool resolution_breached = false;
  int escalation_level = 0;
  int reopen_count = 0;
  std::string source_feedback_id;
  std::string resolution_code;
  int64_t version = 1;  // the etag
  // Business time from creation to the first response / to the resolution
  // (time waiting on the customer excluded), once they happened; reports
  // read them. See RecordElapsed.
  std::optional<absl::Duration> first_response_business;
  std::optional<absl::Duration> resolution_business;
};

// Limits of complaint texts (code points).
struct ComplaintLimits {
  static constexpr size_t kSubject = 200;
  static constexpr size_t kDescription = 10000;
  static constexpr size_t kCategory = 64;
  static constexpr size_t kQueue = 64;
  static constexpr size_t kNoteBody = 10000;
  static constexpr size_t kResolutionCode = 64;
  static constexpr size_t kReason = 1000;
  static constexpr size_t kFollowUpText = 2000;
  static constexpr size_t kAssignee = 128;
};

// OK when `c`'s caller-given fields (request fields of FileComplaint) obey
// the limits; INVALID_ARGUMENT naming the field otherwise.
absl::Status ValidateNewComplaint(const Complaint& c);

// OK when `status` may change to `to`; FAILED_PRECONDITION naming both
// states otherwise. The one table of allowed transitions lives behind it.
absl::Status CheckTransition(ComplaintStatus from, ComplaintStatus to);

// Sets created/updated times and both due times of a new complaint.
void StartSla(Complaint& c, const SlaPolicies& policies, absl::Time now);

// Applies a status change at `now`: pauses/resumes the resolution clock
// around WAITING_ON_CUSTOMER, stamps resolved/closed times, counts reopens.
// RESOLVED needs a resolution code. FAILED_PRECONDITION/INVALID_ARGUMENT
// leave `c` unchanged.
absl::Status ApplyTransition(Complaint& c, ComplaintStatus to, const std::string& resolution_code,
                             const SlaPolicies& policies, absl::Time now);

// A note at `now`: the first PUBLIC one is the first response.
void ApplyNote(Complaint& c, bool is_public, absl::Time now);

// Changes the priority and recomputes both due times from the new policy,
// keeping completed pauses.
void ApplyPriority(Complaint& c, Priority priority, const SlaPolicies& policies);

// One escalation step: escalation_level + 1; reaching level 2 raises the
// priority one step (up to URGENT).
void ApplyEscalation(Complaint& c, const SlaPolicies& policies);

// Marks the SLA targets that are past due at `now` and escalates once per
// new breach. Returns the names of the new breaches ("first_response",
// "resolution"); empty when nothing changed.
std::vector<std::string> ApplyBreaches(Complaint& c, const SlaPolicies& policies, absl::Time now);

// True when RecordElapsed would change `c`.
bool NeedsElapsed(const Complaint& c);

// Fills first_response_business / resolution_business once the first
// response / resolution has happened (in the calendar of `c`'s priority),
// and forgets the resolution time when a reopen cleared resolved_at.
void RecordElapsed(Complaint& c, const SlaPolicies& policies);

// The fields that differ between two versions, as (before, after) text
// maps for the audit trail. Never includes customer details or texts.
std::pair<std::map<std::string, std::string>, std::map<std::string, std::string>> Diff(
    const Complaint& before, const Complaint& after);

// Closing the loop: the priority of the follow-up complaint a score opens,
// or nullopt when it opens none (score not low enough, or nobody to reach).
struct ClosedLoopRule {
  int csat_max = 2;  // CSAT at or below opens a case
  int nps_max = 6;   // NPS at or below (detractors) opens a case
};
std::optional<Priority> ClosedLoopPriority(const ClosedLoopRule& rule, ScoreKind kind, int score,
                                           const Customer& customer);

}  // namespace feedback::domain
