#pragma once

#include <span>

namespace feedback::storage::fold {

// One table derived from the facts (feedback, complaints) by the folder.
// Every statement binds its parameters as text: xid8 values as their
// decimal form, a customer id as is.
struct DerivedTable {
  // The table's name.
  const char* name;
  // The report paths that read it (for people, `rollups status` and docs).
  const char* read_by;
  // Folds the facts of the transactions [$1, $2) into the table (nullptr:
  // the table is kept by the fold of another entry, named in read_by).
  const char* fold;
  // The table's rows as a recount gives them for a snapshot whose
  // watermark is $1, in the table's column order; rows whose sums are all
  // zero are left out (the stored side of the check leaves them out too).
  const char* recount;
  // The stored rows the check compares with the recount (same shape).
  const char* stored;
  // A condition on the rows of both sides that the check compares, $1 the
  // watermark (nullptr: every row).
  const char* check_scope;
  // Removes customer $1 from the table (nullptr: nothing to remove, or
  // removed by another entry's statement, named in read_by).
  const char* erase;
  // Whether the table has a `zone` column (rows per report zone).
  bool per_zone;
};

// Every derived table, in recount order: each is recounted from the facts
// and the entries before it. The folder runs the fold statements in the
// reverse order, so each fold reads the entries after it (complaint_folded
// last of all) as they were before the window.
std::span<const DerivedTable> Registry();

}  // namespace feedback::storage::fold
