#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace feedback::services {

// `t` as a protobuf Timestamp, to the microsecond (what the database keeps).
google::protobuf::Timestamp ToProtoTime(absl::Time t);

// `ts` as an absl::Time, or INVALID_ARGUMENT "<field>: is not a valid
// timestamp" when it lies outside Timestamp's own range (years 1-9999,
// nanos 0-999999999). Callers add their own range rules.
absl::StatusOr<absl::Time> FromProtoTime(std::string_view field,
                                         const google::protobuf::Timestamp& ts);

}  // namespace feedback::services
