#include "domain/report.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/time/civil_time.h"
#include "domain/text.h"

namespace feedback::domain {
namespace {

absl::Status Invalid(const std::string& message) { return absl::InvalidArgumentError(message); }

}  // namespace

absl::Status ValidateReportQuery(const ReportQuery& q, const std::vector<Dimension>& allowed) {
  absl::TimeZone zone;
  if (q.time_zone.empty() || !absl::LoadTimeZone(q.time_zone, &zone)) {
    return Invalid("time_zone: unknown IANA time zone");
  }
  if (q.start < absl::FromUnixSeconds(946684800) || q.end > absl::FromUnixSeconds(4102444800)) {
    return Invalid("start_time: the range must lie between 2000 and 2100");
  }
  if (q.end <= q.start) return Invalid("end_time: must be after start_time");
  if ((q.start - absl::UnixEpoch()) % kReportGrain != absl::ZeroDuration()) {
    return Invalid("start_time: must be on a 15-minute boundary");
  }
  if ((q.end - absl::UnixEpoch()) % kReportGrain != absl::ZeroDuration()) {
    return Invalid("end_time: must be on a 15-minute boundary");
  }
  if (q.bucket < Bucket::kNone || q.bucket > Bucket::kMonth) {
    return Invalid("bucket: unknown bucket");
  }
  if (CountBuckets(q.start, q.end, zone, q.bucket) > kMaxReportBuckets) {
    return Invalid("bucket: more than 1000 buckets; choose a coarser bucket or a shorter range");
  }
  std::set<Dimension> seen;
  for (Dimension d : q.group_by) {
    if (std::find(allowed.begin(), allowed.end(), d) == allowed.end()) {
      return Invalid("group_by: unknown dimension for this report");
    }
    if (!seen.insert(d).second) return Invalid("group_by: repeated dimension");
  }
  if (q.channels.size() > 10 || q.queues.size() > 100 || q.agent_ids.size() > 1000) {
    return Invalid("filters: too many values");
  }
  for (int c : q.channels) {
    if (c < 1 || c > 6) return Invalid("filters.channels: unknown channel");
  }
  for (const auto& v : q.queues) {
    if (absl::Status st = CheckText("filters.queues", v, 64, true); !st.ok()) return st;
  }
  for (const auto& v : q.agent_ids) {
    if (absl::Status st = CheckText("filters.agent_ids", v, 128, true); !st.ok()) return st;
  }
  return absl::OkStatus();
}

int64_t CountBuckets(absl::Time start, absl::Time end, absl::TimeZone zone, Bucket bucket) {
  if (bucket == Bucket::kNone || end <= start) return 1;
  const absl::CivilDay first = absl::ToCivilDay(start, zone);
  const absl::CivilDay last = absl::ToCivilDay(end - absl::Nanoseconds(1), zone);
  switch (bucket) {
    case Bucket::kDay:
      return last - first + 1;
    case Bucket::kWeek: {
      auto monday = [](absl::CivilDay d) {
        return absl::PrevWeekday(d + 1, absl::Weekday::monday);
      };
      return (monday(last) - monday(first)) / 7 + 1;
    }
    case Bucket::kMonth:
      return absl::CivilMonth(last) - absl::CivilMonth(first) + 1;
    case Bucket::kNone:
      break;
  }
  return 1;
}

int64_t CsatStats::responses() const {
  int64_t n = 0;
  for (int64_t c : counts) n += c;
  return n;
}

double CsatStats::mean() const {
  const int64_t n = responses();
  if (n == 0) return 0;
  int64_t sum = 0;
  for (int s = 0; s < 5; ++s) sum += counts[s] * (s + 1);
  return static_cast<double>(sum) / static_cast<double>(n);
}

double CsatStats::csat_percent() const {
  const int64_t n = responses();
  return n == 0 ? 0 : static_cast<double>(counts[3] + counts[4]) * 100.0 / static_cast<double>(n);
}

void CsatStats::Add(const CsatStats& other) {
  for (size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
}

int64_t NpsStats::responses() const {
  int64_t n = 0;
  for (int64_t c : counts) n += c;
  return n;
}
int64_t NpsStats::promoters() const { return counts[9] + counts[10]; }
int64_t NpsStats::passives() const { return counts[7] + counts[8]; }
int64_t NpsStats::detractors() const { return responses() - promoters() - passives(); }

double NpsStats::nps() const {
  const int64_t n = responses();
  if (n == 0) return 0;
  return static_cast<double>(promoters() - detractors()) * 100.0 / static_cast<double>(n);
}

double NpsStats::margin_of_error_95() const {
  const double n = static_cast<double>(responses()) + 3.0;
  const double p = (static_cast<double>(promoters()) + 0.75) / n;
  const double d = (static_cast<double>(detractors()) + 0.75) / n;
  return 1.96 * std::sqrt((p + d - (p - d) * (p - d)) / n) * 100.0;
}

void NpsStats::Add(const NpsStats& other) {
  for (size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
}

}  // namespace feedback::domain
