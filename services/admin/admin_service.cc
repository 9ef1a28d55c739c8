#include "services/admin/admin_service.h"

#include "absl/strings/numbers.h"
#include "domain/text.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/blocking_call.h"
#include "services/common/proto_time.h"

namespace feedback::services {
namespace {

using google::protobuf::util::TimeUtil;

constexpr char kService[] = "feedback.v1.AdminService/";

// Domain roles in the order of v1::Role (ROLE_INGEST = 1 .. ROLE_ADMIN = 5).
constexpr domain::Role kRoles[] = {domain::Role::kIngest, domain::Role::kAgent,
                                   domain::Role::kSupervisor, domain::Role::kManager,
                                   domain::Role::kAdmin};

v1::Role ToProtoRole(domain::Role role) {
  for (int i = 0; i < 5; ++i) {
    if (kRoles[i] == role) return static_cast<v1::Role>(i + 1);
  }
  return v1::ROLE_UNSPECIFIED;
}

void ToProto(const storage::ApiKeyRecord& k, v1::ApiKey& out) {
  out.set_id(std::to_string(k.id));
  out.set_name(k.name);
  out.set_role(ToProtoRole(k.role));
  for (const auto& q : k.queues) out.add_queues(q);
  out.set_key_prefix(k.key_prefix);
  *out.mutable_created_at() = ToProtoTime(k.created_at);
  if (k.revoked_at) *out.mutable_revoked_at() = ToProtoTime(*k.revoked_at);
}

void ToProto(const domain::SlaPolicy& p, v1::SlaPolicy& out) {
  out.set_priority(static_cast<v1::Priority>(p.priority));
  *out.mutable_first_response_target() =
      TimeUtil::SecondsToDuration(absl::ToInt64Seconds(p.first_response));
  *out.mutable_resolution_target() = TimeUtil::SecondsToDuration(absl::ToInt64Seconds(p.resolution));
  out.mutable_calendar()->set_time_zone(p.calendar.time_zone_name());
  for (const auto& i : p.calendar.open()) {
    v1::OpenHours& h = *out.mutable_calendar()->add_open_hours();
    h.set_iso_weekday(i.iso_weekday);
    h.set_start_minute(i.start_minute);
    h.set_end_minute(i.end_minute);
  }
  for (const auto& d : p.calendar.holidays()) {
    out.mutable_calendar()->add_holidays(absl::FormatCivilTime(d));
  }
}

absl::StatusOr<absl::Duration> Target(const char* field, bool has,
                                      const google::protobuf::Duration& d) {
  if (!has || d.seconds() <= 0) {
    return absl::InvalidArgumentError(std::string(field) + ": must be a positive duration");
  }
  if (d.seconds() > 366LL * 86400) {
    return absl::InvalidArgumentError(std::string(field) + ": must be at most 366 days");
  }
  return absl::Seconds(d.seconds());
}

}  // namespace

grpc::ServerUnaryReactor* AdminServiceImpl::CreateApiKey(grpc::CallbackServerContext* context,
                                                         const v1::CreateApiKeyRequest* r,
                                                         v1::CreateApiKeyResponse* response) {
  return RunBlockingCall(
      auth_, workers_, context, std::string(kService) + "CreateApiKey",
      [this, r, response](const domain::Caller& caller) -> absl::Status {
        if (r->role() < 1 || r->role() > 5) {
          return absl::InvalidArgumentError("role: must be a known role");
        }
        const domain::Role role = kRoles[r->role() - 1];
        auto created = keys_.Create(r->name(), role, {r->queues().begin(), r->queues().end()},
                                    caller.key_name);
        if (!created.ok()) return created.status();
        response->set_key(created->key);
        storage::ApiKeyRecord record{created->id, r->name(), role,
                                     {r->queues().begin(), r->queues().end()},
                                     domain::ApiKeyPrefix(created->key), absl::Now(), {}};
        ToProto(record, *response->mutable_api_key());
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::RevokeApiKey(grpc::CallbackServerContext* context,
                                                         const v1::RevokeApiKeyRequest* r,
                                                         v1::ApiKey* response) {
  return RunBlockingCall(auth_, workers_, context, std::string(kService) + "RevokeApiKey",
                         [this, r, response](const domain::Caller& caller) -> absl::Status {
                           int64_t id = 0;
                           if (!absl::SimpleAtoi(r->id(), &id) || id <= 0) {
                             return absl::InvalidArgumentError("id: is not an API key id");
                           }
                           auto revoked = keys_.Revoke(id, caller.key_name);
                           if (!revoked.ok()) return revoked.status();
                           ToProto(*revoked, *response);
                           return absl::OkStatus();
                         });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListApiKeys(grpc::CallbackServerContext* context,
                                                        const v1::ListApiKeysRequest* r,
                                                        v1::ListApiKeysResponse* response) {
  return RunBlockingCall(auth_, workers_, context, std::string(kService) + "ListApiKeys",
                         [this, r, response](const domain::Caller&) -> absl::Status {
                           auto keys = keys_.List(r->include_revoked());
                           if (!keys.ok()) return keys.status();
                           for (const auto& k : *keys) ToProto(k, *response->add_api_keys());
                           return absl::OkStatus();
                         });
}

grpc::ServerUnaryReactor* AdminServiceImpl::UpsertSlaPolicy(
    grpc::CallbackServerContext* context, const v1::UpsertSlaPolicyRequest* r,
    v1::SlaPolicy* response) {
  return RunBlockingCall(
      auth_, workers_, context, std::string(kService) + "UpsertSlaPolicy",
      [this, r, response](const domain::Caller& caller) -> absl::Status {
        if (r->priority() < 1 || r->priority() > 4) {
          return absl::InvalidArgumentError("priority: must be LOW, NORMAL, HIGH or URGENT");
        }
        auto first = Target("first_response_target", r->has_first_response_target(),
                            r->first_response_target());
        if (!first.ok()) return first.status();
        auto resolution =
            Target("resolution_target", r->has_resolution_target(), r->resolution_target());
        if (!resolution.ok()) return resolution.status();
        if (r->calendar().open_hours_size() > 100 || r->calendar().holidays_size() > 1000) {
          return absl::InvalidArgumentError("calendar: too many entries");
        }
        std::vector<domain::BusinessCalendar::Interval> open;
        for (const auto& h : r->calendar().open_hours()) {
          open.push_back({h.iso_weekday(), h.start_minute(), h.end_minute()});
        }
        std::set<absl::CivilDay> holidays;
        for (const auto& d : r->calendar().holidays()) {
          absl::CivilDay day;
          if (!absl::ParseCivilTime(d, &day)) {
            return absl::InvalidArgumentError("calendar.holidays: dates must be YYYY-MM-DD");
          }
          holidays.insert(day);
        }
        auto calendar = domain::BusinessCalendar::Create(
            r->calendar().time_zone().empty() ? "UTC" : r->calendar().time_zone(), open, holidays);
        if (!calendar.ok()) return calendar.status();
        const domain::SlaPolicy policy{static_cast<domain::Priority>(r->priority()), *first,
                                       *resolution, *calendar};
        if (absl::Status st = complaints_.UpsertPolicy(policy, caller.key_name); !st.ok()) {
          return st;
        }
        ToProto(policy, *response);
        *response->mutable_updated_at() = TimeUtil::GetCurrentTime();
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListSlaPolicies(
    grpc::CallbackServerContext* context, const v1::ListSlaPoliciesRequest*,
    v1::ListSlaPoliciesResponse* response) {
  return RunBlockingCall(auth_, workers_, context, std::string(kService) + "ListSlaPolicies",
                         [this, response](const domain::Caller&) -> absl::Status {
                           auto policies = complaints_.LoadPolicies();
                           if (!policies.ok()) return policies.status();
                           for (const auto& [priority, p] : *policies) {
                             ToProto(p, *response->add_policies());
                           }
                           return absl::OkStatus();
                         });
}

grpc::ServerUnaryReactor* AdminServiceImpl::EraseCustomer(grpc::CallbackServerContext* context,
                                                          const v1::EraseCustomerRequest* r,
                                                          v1::EraseCustomerResponse* response) {
  return RunBlockingCall(auth_, workers_, context, std::string(kService) + "EraseCustomer",
                         [this, r, response](const domain::Caller& caller) -> absl::Status {
                           if (absl::Status st =
                                   domain::CheckText("customer_id", r->customer_id(), 128, true);
                               !st.ok()) {
                             return st;
                           }
                           auto counts = eraser_.Erase(r->customer_id(), caller.key_name);
                           if (!counts.ok()) return counts.status();
                           response->set_feedback_rows(counts->feedback_rows);
                           response->set_complaints(counts->complaints);
                           return absl::OkStatus();
                         });
}

}  // namespace feedback::services
