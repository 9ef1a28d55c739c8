#include "domain/complaint.h"

#include <algorithm>

#include <array>

#include "domain/text.h"

namespace feedback::domain {
namespace {

using S = ComplaintStatus;

// Every allowed status change. Anything else is refused.
constexpr std::array<std::pair<S, S>, 6> kAllowedTransitions = {{
    {S::kNew, S::kInProgress},
    {S::kInProgress, S::kWaitingOnCustomer},
    {S::kWaitingOnCustomer, S::kInProgress},
    {S::kInProgress, S::kResolved},
    {S::kResolved, S::kClosed},
    {S::kResolved, S::kInProgress},  // a reopen
}};

std::string FormatTime(const std::optional<absl::Time>& t) {
  return t ? absl::FormatTime(absl::RFC3339_full, *t, absl::UTCTimeZone()) : "";
}

const SlaPolicy& PolicyFor(const SlaPolicies& policies, Priority p) {
  static const SlaPolicy kFallback{Priority::kNormal, absl::Hours(4), absl::Hours(72),
                                   BusinessCalendar::AlwaysOpen()};
  auto it = policies.find(p);
  return it == policies.end() ? kFallback : it->second;
}

}  // namespace

std::string_view StatusName(ComplaintStatus status) {
  switch (status) {
    case S::kNew: return "NEW";
    case S::kInProgress: return "IN_PROGRESS";
    case S::kWaitingOnCustomer: return "WAITING_ON_CUSTOMER";
    case S::kResolved: return "RESOLVED";
    case S::kClosed: return "CLOSED";
    case S::kUnspecified: break;
  }
  return "UNSPECIFIED";
}

std::string_view PriorityName(Priority priority) {
  switch (priority) {
    case Priority::kLow: return "LOW";
    case Priority::kNormal: return "NORMAL";
    case Priority::kHigh: return "HIGH";
    case Priority::kUrgent: return "URGENT";
    case Priority::kUnspecified: break;
  }
  return "UNSPECIFIED";
}

absl::Status ValidateNewComplaint(const Complaint& c) {
  using L = ComplaintLimits;
  if (c.channel <= 0 || c.channel > kMaxChannel) {
    return absl::InvalidArgumentError(c.channel == 0 ? "channel: is required"
                                                     : "channel: is not a known channel");
  }
  if (c.priority < Priority::kLow || c.priority > Priority::kUrgent) {
    return absl::InvalidArgumentError("priority: is not a known priority");
  }
  const struct {
    const char* field;
    const std::string* value;
    size_t max;
    bool required;
  } texts[] = {
      {"subject", &c.subject, L::kSubject, true},
      {"description", &c.description, L::kDescription, false},
      {"category", &c.category, L::kCategory, false},
      {"queue", &c.queue, L::kQueue, true},
      {"interaction_id", &c.interaction_id, 128, false},
      {"customer.customer_id", &c.customer.customer_id, 128, false},
      {"customer.phone", &c.customer.phone, 32, false},
      {"customer.email", &c.customer.email, 254, false},
      {"customer.display_name", &c.customer.display_name, 200, false},
  };
  for (const auto& t : texts) {
    if (absl::Status st = CheckText(t.field, *t.value, t.max, t.required); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status CheckTransition(ComplaintStatus from, ComplaintStatus to) {
  for (const auto& [a, b] : kAllowedTransitions) {
    if (a == from && b == to) return absl::OkStatus();
  }
  std::string message = "to_status: cannot change a complaint from ";
  message.append(StatusName(from)).append(" to ").append(StatusName(to));
  return absl::FailedPreconditionError(message);
}

void StartSla(Complaint& c, const SlaPolicies& policies, absl::Time now) {
  c.created_at = now;
  c.updated_at = now;
  c.paused_business = absl::ZeroDuration();
  ApplyPriority(c, c.priority, policies);
}

void ApplyPriority(Complaint& c, Priority priority, const SlaPolicies& policies) {
  c.priority = priority;
  const SlaPolicy& policy = PolicyFor(policies, priority);
  c.first_response_due_at = policy.calendar.Add(c.created_at, policy.first_response);
  c.resolution_due_at =
      policy.calendar.Add(c.created_at, policy.resolution + c.paused_business);
}

absl::Status ApplyTransition(Complaint& c, ComplaintStatus to, const std::string& resolution_code,
                             const SlaPolicies& policies, absl::Time now) {
  if (absl::Status st = CheckTransition(c.status, to); !st.ok()) return st;
  if (to == S::kResolved) {
    if (resolution_code.empty()) {
      return absl::InvalidArgumentError("resolution_code: is required to resolve a complaint");
    }
    if (absl::Status st = CheckText("resolution_code", resolution_code,
                                    ComplaintLimits::kResolutionCode);
        !st.ok()) {
      return st;
    }
  }
  const SlaPolicy& policy = PolicyFor(policies, c.priority);
  if (c.status == S::kWaitingOnCustomer && c.paused_at) {
    const absl::Duration paused = policy.calendar.Between(*c.paused_at, now);
    c.paused_business += paused;
    c.resolution_due_at = policy.calendar.Add(c.resolution_due_at, paused);
    c.sla_paused = false;
    c.paused_at.reset();
  }
  switch (to) {
    case S::kWaitingOnCustomer:
      c.sla_paused = true;
      c.paused_at = now;
      break;
    case S::kResolved:
      c.resolved_at = now;
      c.resolution_code = resolution_code;
      if (!c.first_response_at) c.first_response_at = now;
      break;
    case S::kInProgress:
      if (c.status == S::kResolved) {
        ++c.reopen_count;
        c.resolved_at.reset();
        c.resolution_code.clear();
      }
      break;
    case S::kClosed:
      c.closed_at = now;
      break;
    default:
      break;
  }
  c.status = to;
  c.updated_at = now;
  return absl::OkStatus();
}

void ApplyNote(Complaint& c, bool is_public, absl::Time now) {
  if (is_public && !c.first_response_at) c.first_response_at = now;
  c.updated_at = now;
}

void ApplyEscalation(Complaint& c, const SlaPolicies& policies) {
  ++c.escalation_level;
  if (c.escalation_level == 2 && c.priority < Priority::kUrgent) {
    ApplyPriority(c, static_cast<Priority>(static_cast<int>(c.priority) + 1), policies);
  }
}

bool NeedsElapsed(const Complaint& c) {
  return c.first_response_at.has_value() != c.first_response_business.has_value() ||
         c.resolved_at.has_value() != c.resolution_business.has_value();
}

void RecordElapsed(Complaint& c, const SlaPolicies& policies) {
  const SlaPolicy& policy = PolicyFor(policies, c.priority);
  if (!c.first_response_at) {
    c.first_response_business.reset();
  } else if (!c.first_response_business) {
    c.first_response_business = policy.calendar.Between(c.created_at, *c.first_response_at);
  }
  if (!c.resolved_at) {
    c.resolution_business.reset();
  } else if (!c.resolution_business) {
    c.resolution_business = std::max(
        absl::ZeroDuration(), policy.calendar.Between(c.created_at, *c.resolved_at) - c.paused_business);
  }
}

std::vector<std::string> ApplyBreaches(Complaint& c, const SlaPolicies& policies,
                                       absl::Time now) {
  std::vector<std::string> breaches;
  const bool open = c.status != S::kResolved && c.status != S::kClosed;
  if (open && !c.first_response_at && !c.first_response_breached &&
      now > c.first_response_due_at) {
    c.first_response_breached = true;
    breaches.push_back("first_response");
    ApplyEscalation(c, policies);
  }
  if (open && !c.sla_paused && !c.resolution_breached && now > c.resolution_due_at) {
    c.resolution_breached = true;
    breaches.push_back("resolution");
    ApplyEscalation(c, policies);
  }
  if (!breaches.empty()) c.updated_at = now;
  return breaches;
}

std::pair<std::map<std::string, std::string>, std::map<std::string, std::string>> Diff(
    const Complaint& a, const Complaint& b) {
  std::map<std::string, std::string> before, after;
  auto field = [&](const char* name, const std::string& x, const std::string& y) {
    if (x != y) {
      before[name] = x;
      after[name] = y;
    }
  };
  auto flag = [](bool v) { return std::string(v ? "true" : "false"); };
  field("status", std::string(StatusName(a.status)), std::string(StatusName(b.status)));
  field("priority", std::string(PriorityName(a.priority)), std::string(PriorityName(b.priority)));
  field("queue", a.queue, b.queue);
  field("category", a.category, b.category);
  field("assignee_id", a.assignee_id, b.assignee_id);
  field("first_response_at", FormatTime(a.first_response_at), FormatTime(b.first_response_at));
  field("resolved_at", FormatTime(a.resolved_at), FormatTime(b.resolved_at));
  field("closed_at", FormatTime(a.closed_at), FormatTime(b.closed_at));
  field("first_response_due_at", FormatTime(a.first_response_due_at),
        FormatTime(b.first_response_due_at));
  field("resolution_due_at", FormatTime(a.resolution_due_at), FormatTime(b.resolution_due_at));
  field("sla_paused", flag(a.sla_paused), flag(b.sla_paused));
  field("first_response_breached", flag(a.first_response_breached),
        flag(b.first_response_breached));
  field("resolution_breached", flag(a.resolution_breached), flag(b.resolution_breached));
  field("escalation_level", std::to_string(a.escalation_level),
        std::to_string(b.escalation_level));
  field("reopen_count", std::to_string(a.reopen_count), std::to_string(b.reopen_count));
  field("resolution_code", a.resolution_code, b.resolution_code);
  return {before, after};
}

std::optional<Priority> ClosedLoopPriority(const ClosedLoopRule& rule, ScoreKind kind, int score,
                                           const Customer& customer) {
  if (customer.customer_id.empty() && customer.phone.empty() && customer.email.empty()) {
    return std::nullopt;  // nobody to call back
  }
  switch (kind) {
    case ScoreKind::kCsat:
      if (score < 1 || score > rule.csat_max) return std::nullopt;
      return score == 1 ? Priority::kHigh : Priority::kNormal;
    case ScoreKind::kNps:
      if (score < 0 || score > rule.nps_max) return std::nullopt;
      return score <= 3 ? Priority::kHigh : Priority::kNormal;
  }
  return std::nullopt;
}

}  // namespace feedback::domain
