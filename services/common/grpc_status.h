#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace feedback::services {

// The gRPC status for `status` (the numeric codes are the same).
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace feedback::services
