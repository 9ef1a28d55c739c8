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

absl::Time SlotFloor(absl::Time t) {
  return absl::UnixEpoch() + absl::Floor(t - absl::UnixEpoch(), kReportGrain);
}

absl::Time SlotCeil(absl::Time t) {
  const absl::Time floor = SlotFloor(t);
  return floor == t ? t : floor + kReportGrain;
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

namespace feedback::domain {
namespace {

constexpr double kGamma = 1.02;

double Percent(int64_t part, int64_t whole) {
  return whole == 0 ? 0 : static_cast<double>(part) * 100.0 / static_cast<double>(whole);
}

}  // namespace

int TimeHistogram::Bin(int64_t seconds) {
  if (seconds <= 0) return 0;
  return 1 + static_cast<int>(std::floor(std::log(static_cast<double>(seconds)) / std::log(kGamma)));
}

double TimeHistogram::Estimate(int bin) {
  if (bin <= 0) return 0;
  const double lower = std::pow(kGamma, bin - 1);
  const double upper = lower * kGamma;
  return 2 * lower * upper / (lower + upper);
}

void TimeHistogram::Add(int bin, int64_t count) {
  if (count == 0) return;
  auto it = std::lower_bound(bins_.begin(), bins_.end(), bin,
                             [](const auto& entry, int b) { return entry.first < b; });
  if (it != bins_.end() && it->first == bin) {
    it->second += count;
  } else {
    bins_.insert(it, {bin, count});
  }
  count_ += count;
}

template <typename At>
void TimeHistogram::MergeAscending(size_t n, At at) {
  std::vector<std::pair<int, int64_t>> merged;
  merged.reserve(bins_.size() + n);
  size_t i = 0, j = 0;
  while (i < bins_.size() || j < n) {
    if (j == n || (i < bins_.size() && bins_[i].first < at(j).first)) {
      merged.push_back(bins_[i++]);
      continue;
    }
    const std::pair<int, int64_t> add = at(j++);
    count_ += add.second;
    if (i < bins_.size() && bins_[i].first == add.first) {
      merged.emplace_back(add.first, bins_[i++].second + add.second);
    } else {
      merged.push_back(add);
    }
  }
  bins_.swap(merged);
}

void TimeHistogram::Add(std::span<const int64_t> bins, std::span<const int64_t> counts) {
  const size_t n = std::min(bins.size(), counts.size());
  for (size_t k = 1; k < n; ++k) {
    if (bins[k] <= bins[k - 1]) {
      for (size_t m = 0; m < n; ++m) Add(static_cast<int>(bins[m]), counts[m]);
      return;
    }
  }
  MergeAscending(n, [&](size_t k) {
    return std::pair<int, int64_t>(static_cast<int>(bins[k]), counts[k]);
  });
}

void TimeHistogram::Add(const TimeHistogram& other) {
  MergeAscending(other.bins_.size(), [&](size_t k) { return other.bins_[k]; });
}

double TimeHistogram::Percentile(double p) const {
  if (count_ <= 0) return 0;
  const int64_t rank = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(p * static_cast<double>(count_) - 1e-9)));
  int64_t seen = 0;
  for (const auto& [bin, n] : bins_) {
    seen += n;
    if (seen >= rank) return Estimate(bin);
  }
  return Estimate(bins_.back().first);
}

double ComplaintStats::resolution_rate_percent() const { return Percent(resolved, opened); }
double ComplaintStats::first_response_sla_met_percent() const {
  return Percent(first_response_met, first_response_met + first_response_missed);
}
double ComplaintStats::resolution_sla_met_percent() const {
  return Percent(resolution_met, resolution_met + resolution_missed);
}
double ComplaintStats::reopened_percent() const { return Percent(reopened, opened); }
double ComplaintStats::resolution_csat_percent() const {
  return Percent(ratings_satisfied, ratings);
}

void ComplaintStats::Add(const ComplaintStats& o) {
  opened += o.opened;
  resolved += o.resolved;
  reopened += o.reopened;
  escalated += o.escalated;
  first_response_met += o.first_response_met;
  first_response_missed += o.first_response_missed;
  resolution_met += o.resolution_met;
  resolution_missed += o.resolution_missed;
  ratings += o.ratings;
  ratings_satisfied += o.ratings_satisfied;
  backlog_open_at_end += o.backlog_open_at_end;
  first_response.Add(o.first_response);
  resolution.Add(o.resolution);
}

double RetentionStats::return_rate_percent() const { return Percent(returning, previous_active); }
double RetentionStats::churn_rate_percent() const {
  return previous_active == 0 ? 0 : 100.0 - return_rate_percent();
}
double RetentionStats::complainants_resolved_return_rate_percent() const {
  return Percent(complainants_resolved_returned, complainants_resolved);
}
double RetentionStats::complainants_unresolved_return_rate_percent() const {
  return Percent(complainants_unresolved_returned, complainants_unresolved);
}

void RetentionStats::Add(const RetentionStats& o) {
  active += o.active;
  previous_active += o.previous_active;
  returning += o.returning;
  complainants_resolved += o.complainants_resolved;
  complainants_resolved_returned += o.complainants_resolved_returned;
  complainants_unresolved += o.complainants_unresolved;
  complainants_unresolved_returned += o.complainants_unresolved_returned;
}

namespace {

// The first instant of local day `day` (the transition when midnight is
// skipped).
absl::Time StartOfDay(absl::CivilDay day, absl::TimeZone zone) {
  const absl::TimeZone::TimeInfo at = zone.At(absl::CivilSecond(day));
  return at.kind == absl::TimeZone::TimeInfo::SKIPPED ? at.trans : at.pre;
}

absl::CivilDay ShiftBucket(absl::CivilDay day, Bucket bucket, int steps) {
  if (bucket == Bucket::kWeek) return day + 7 * steps;
  if (bucket == Bucket::kMonth) return absl::CivilDay(absl::CivilMonth(day) + steps);
  return day + steps;
}

}  // namespace

absl::Time BucketStart(absl::Time t, absl::TimeZone zone, Bucket bucket) {
  absl::CivilDay day = absl::ToCivilDay(t, zone);
  if (bucket == Bucket::kWeek) {
    day -= (static_cast<int>(absl::GetWeekday(day)) -
            static_cast<int>(absl::Weekday::monday) + 7) % 7;
  }
  if (bucket == Bucket::kMonth) day = absl::CivilDay(absl::CivilMonth(day));
  return StartOfDay(day, zone);
}

absl::Time PreviousBucketStart(absl::Time bucket_start, absl::TimeZone zone, Bucket bucket) {
  return StartOfDay(ShiftBucket(absl::ToCivilDay(bucket_start, zone), bucket, -1), zone);
}

absl::Time NextBucketStart(absl::Time bucket_start, absl::TimeZone zone, Bucket bucket) {
  return StartOfDay(ShiftBucket(absl::ToCivilDay(bucket_start, zone), bucket, 1), zone);
}

}  // namespace feedback::domain
