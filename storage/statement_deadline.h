#pragma once

#include "absl/time/time.h"

namespace feedback::storage {

// While one of these lives, database work started by RunWithConnection on
// this thread must finish by `deadline`: a call whose deadline has passed
// does not touch the database (DEADLINE_EXCEEDED), and the statements of
// one that has not get PostgreSQL's statement_timeout set to the time left,
// so a call the client gave up on does not keep a connection, a lock or a
// query running. Nests; the innermost wins.
class ScopedStatementDeadline {
 public:
  explicit ScopedStatementDeadline(absl::Time deadline);
  ~ScopedStatementDeadline();
  ScopedStatementDeadline(const ScopedStatementDeadline&) = delete;
  ScopedStatementDeadline& operator=(const ScopedStatementDeadline&) = delete;

 private:
  absl::Time previous_;
};

// The deadline of this thread's innermost scope; InfiniteFuture without one.
absl::Time CurrentStatementDeadline();

}  // namespace feedback::storage
