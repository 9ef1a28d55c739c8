// Loads generated ratings, NPS answers and complaints into a migrated
// database: feedback_datagen --database_url URL --feedback 10000000 --complaints 1000000
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/time/clock.h"
#include "tests/support/data_generator.h"

int main(int argc, char** argv) {
  CLI::App app{"Load generated feedback and complaints (for tests and benchmarks)"};
  std::string url;
  feedback::testing::GeneratorOptions o;
  app.add_option("--database_url", url, "PostgreSQL URL")->envname("FEEDBACK_DATABASE_URL")->required();
  app.add_option("--feedback", o.feedback_rows, "Scores to load")->capture_default_str();
  app.add_option("--complaints", o.complaints, "Complaints to load")->capture_default_str();
  app.add_option("--days", o.days, "Days back from now to spread them over")->capture_default_str();
  app.add_option("--customers", o.customers, "Distinct customers")->capture_default_str();
  app.add_option("--agents", o.agents, "Distinct agents")->capture_default_str();
  app.add_option("--seed", o.seed, "Random seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  o.end = absl::Now();
  const absl::Time start = absl::Now();
  const absl::Status st = feedback::testing::GenerateData(url, o);
  if (!st.ok()) {
    std::cerr << "error: " << st.message() << "\n";
    return 1;
  }
  std::cout << "loaded " << o.feedback_rows << " scores and " << o.complaints << " complaints in "
            << absl::FormatDuration(absl::Now() - start) << "\n";
  return 0;
}
