#include "services/common/proto_time.h"

#include <string>

#include "google/protobuf/util/time_util.h"

namespace feedback::services {

google::protobuf::Timestamp ToProtoTime(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

absl::StatusOr<absl::Time> FromProtoTime(std::string_view field,
                                         const google::protobuf::Timestamp& ts) {
  if (ts.seconds() < google::protobuf::util::TimeUtil::kTimestampMinSeconds ||
      ts.seconds() > google::protobuf::util::TimeUtil::kTimestampMaxSeconds || ts.nanos() < 0 ||
      ts.nanos() > 999999999) {
    return absl::InvalidArgumentError(std::string(field) + ": is not a valid timestamp");
  }
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace feedback::services
