#include "storage/statement_deadline.h"

namespace feedback::storage {
namespace {

thread_local absl::Time current_deadline = absl::InfiniteFuture();

}  // namespace

ScopedStatementDeadline::ScopedStatementDeadline(absl::Time deadline)
    : previous_(current_deadline) {
  current_deadline = deadline;
}

ScopedStatementDeadline::~ScopedStatementDeadline() { current_deadline = previous_; }

absl::Time CurrentStatementDeadline() { return current_deadline; }

}  // namespace feedback::storage
