#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace feedback::ctl {

enum class Format { kTable, kCsv, kJson, kCompact };

// A message flattened into named text cells: scalars by field name, nested
// messages as "parent.child", enums without their type prefix ("ivr"),
// timestamps in RFC 3339 (UTC, or with the offset of `zone`), durations in seconds ("3600s"), repeated
// scalars joined with ";".
struct Flat {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

// The rows of `message`: the elements of its repeated message field
// `list_field` (then the message field `total_field` as a last row, if
// given), or the message itself when `list_field` is empty.
Flat Flatten(const google::protobuf::Message& message, const std::string& list_field,
             const std::string& total_field = "", absl::TimeZone zone = absl::UTCTimeZone());

// `message` printed in `format`: tables align columns and leave out the
// ones empty in every row (e.g. group keys not grouped by); CSV (RFC 4180) keeps every column; JSON uses
// protobuf's JSON printer with the contract's field names.
std::string Render(const google::protobuf::Message& message, Format format,
                   const std::string& list_field = "", const std::string& total_field = "",
                   absl::TimeZone zone = absl::UTCTimeZone());

// Text for an HTML page (escapes & < > " ').
std::string HtmlEscape(const std::string& text);

}  // namespace feedback::ctl
