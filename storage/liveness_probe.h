#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace feedback::storage {

// Asks the database at `url` to answer a trivial query within `timeout`,
// on a connection of its own, without ever blocking longer: a database
// that is frozen (SIGSTOP, a hung host, a network that swallows packets)
// still accepts bytes into the kernel's buffers, so only a deadline kept by
// the caller notices it. OK, or UNAVAILABLE saying what failed.
absl::Status ProbeDatabase(const std::string& url, absl::Duration timeout);

}  // namespace feedback::storage
