#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace feedback::testing {

// Realistic-looking data for tests and benchmarks, loaded fast: ratings and
// NPS answers through COPY, complaints by one INSERT ... SELECT on the
// server, then folded into the report tables (storage/fold/), as a server
// would. Same seed, same data (complaint ids aside).
struct GeneratorOptions {
  int64_t feedback_rows = 10000;
  int64_t complaints = 1000;
  // Rows are spread over [end - days, end).
  absl::Time end = absl::Now();
  int days = 365;
  int customers = 5000;
  int agents = 50;
  uint64_t seed = 1;
  // Rows written per COPY transaction.
  int64_t chunk = 200000;
};

absl::Status GenerateData(const std::string& database_url, const GeneratorOptions& options);

}  // namespace feedback::testing
