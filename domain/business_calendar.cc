#include "domain/business_calendar.h"

#include <algorithm>
#include <string>

namespace feedback::domain {
namespace {

// A calendar's open time is searched at most this far ahead; calendars
// with no open time at all are refused at creation.
constexpr int kMaxDaysAhead = 3 * 366;

int IsoWeekday(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday: return 1;
    case absl::Weekday::tuesday: return 2;
    case absl::Weekday::wednesday: return 3;
    case absl::Weekday::thursday: return 4;
    case absl::Weekday::friday: return 5;
    case absl::Weekday::saturday: return 6;
    case absl::Weekday::sunday: return 7;
  }
  return 1;
}

}  // namespace

BusinessCalendar BusinessCalendar::AlwaysOpen() {
  BusinessCalendar c;
  for (int d = 1; d <= 7; ++d) c.open_.push_back({d, 0, 1440});
  return c;
}

absl::StatusOr<BusinessCalendar> BusinessCalendar::Create(const std::string& time_zone,
                                                          std::vector<Interval> open,
                                                          std::set<absl::CivilDay> holidays) {
  BusinessCalendar c;
  if (!absl::LoadTimeZone(time_zone, &c.zone_)) {
    return absl::InvalidArgumentError("calendar.time_zone: unknown IANA time zone");
  }
  c.zone_name_ = time_zone;
  for (const Interval& i : open) {
    if (i.iso_weekday < 1 || i.iso_weekday > 7 || i.start_minute < 0 ||
        i.end_minute > 1440 || i.start_minute >= i.end_minute) {
      return absl::InvalidArgumentError(
          "calendar.open_hours: each interval needs a weekday 1-7 and 0 <= start < end <= 1440 "
          "minutes");
    }
  }
  std::sort(open.begin(), open.end(), [](const Interval& a, const Interval& b) {
    return a.iso_weekday != b.iso_weekday ? a.iso_weekday < b.iso_weekday
                                          : a.start_minute < b.start_minute;
  });
  for (size_t k = 1; k < open.size(); ++k) {
    if (open[k].iso_weekday == open[k - 1].iso_weekday &&
        open[k].start_minute < open[k - 1].end_minute) {
      return absl::InvalidArgumentError("calendar.open_hours: intervals overlap");
    }
  }
  if (open.empty()) return absl::InvalidArgumentError("calendar.open_hours: no open time");
  c.open_ = std::move(open);
  c.holidays_ = std::move(holidays);
  return c;
}

bool BusinessCalendar::always_open() const {
  if (zone_name_ != "UTC" || !holidays_.empty() || open_.size() != 7) return false;
  return std::all_of(open_.begin(), open_.end(), [](const Interval& i) {
    return i.start_minute == 0 && i.end_minute == 1440;
  });
}

template <typename Fn>
void BusinessCalendar::ForEachOpenInterval(absl::Time from, Fn fn) const {
  const absl::CivilDay first = absl::ToCivilDay(from, zone_);
  for (int offset = 0; offset < kMaxDaysAhead; ++offset) {
    const absl::CivilDay day = first + offset;
    if (holidays_.count(day) > 0) continue;
    const int weekday = IsoWeekday(day);
    for (const Interval& i : open_) {
      if (i.iso_weekday != weekday) continue;
      const absl::Time start = absl::FromCivil(absl::CivilSecond(day) + i.start_minute * 60, zone_);
      const absl::Time end = absl::FromCivil(absl::CivilSecond(day) + i.end_minute * 60, zone_);
      if (end <= from) continue;
      if (!fn(std::max(start, from), end)) return;
    }
  }
}

absl::Time BusinessCalendar::Add(absl::Time start, absl::Duration business) const {
  if (business <= absl::ZeroDuration()) return start;
  if (always_open()) return start + business;
  absl::Time result = absl::InfiniteFuture();
  ForEachOpenInterval(start, [&](absl::Time s, absl::Time e) {
    if (e <= s) return true;
    if (business <= e - s) {
      result = s + business;
      return false;
    }
    business -= e - s;
    return true;
  });
  return result;
}

absl::Duration BusinessCalendar::Between(absl::Time from, absl::Time to) const {
  if (to <= from) return absl::ZeroDuration();
  if (always_open()) return to - from;
  absl::Duration total;
  ForEachOpenInterval(from, [&](absl::Time s, absl::Time e) {
    if (s >= to) return false;
    total += std::min(e, to) - s;
    return true;
  });
  return total;
}

}  // namespace feedback::domain
