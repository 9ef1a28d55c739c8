#pragma once

#include <set>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace feedback::domain {

// When a support team works: open intervals per weekday in a time zone,
// minus holidays. Business time only passes inside open intervals; across
// a DST change an interval lasts as long as it really does.
class BusinessCalendar {
 public:
  struct Interval {
    int iso_weekday;   // 1 = Monday .. 7 = Sunday
    int start_minute;  // 0..1439, local time
    int end_minute;    // start_minute+1 .. 1440
  };

  // Around the clock, in UTC.
  static BusinessCalendar AlwaysOpen();

  // INVALID_ARGUMENT naming the problem for an unknown zone, malformed or
  // overlapping intervals, or no open time at all.
  static absl::StatusOr<BusinessCalendar> Create(const std::string& time_zone,
                                                 std::vector<Interval> open,
                                                 std::set<absl::CivilDay> holidays);

  // The moment `business` of open time after `start` (start itself when
  // `business` is zero or negative).
  absl::Time Add(absl::Time start, absl::Duration business) const;

  // Open time within [from, to); zero when to <= from.
  absl::Duration Between(absl::Time from, absl::Time to) const;

  const std::string& time_zone_name() const { return zone_name_; }
  const std::vector<Interval>& open() const { return open_; }
  const std::set<absl::CivilDay>& holidays() const { return holidays_; }

 private:
  BusinessCalendar() = default;
  bool always_open() const;
  // Calls fn(start, end) for each open interval in absolute time, in order,
  // from the local day containing `from`, until fn returns false.
  template <typename Fn>
  void ForEachOpenInterval(absl::Time from, Fn fn) const;

  std::string zone_name_ = "UTC";
  absl::TimeZone zone_ = absl::UTCTimeZone();
  std::vector<Interval> open_;  // sorted by weekday, then start
  std::set<absl::CivilDay> holidays_;
};

}  // namespace feedback::domain
