#include "domain/complaint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/fakes/fake_clock.h"

namespace feedback::domain {
namespace {

using S = ComplaintStatus;

absl::TimeZone Zone(const char* name) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone(name, &tz)) << name;
  return tz;
}

absl::Time Utc(int y, int mo, int d, int h, int mi = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::UTCTimeZone());
}

BusinessCalendar OfficeHours(const char* zone = "UTC", std::set<absl::CivilDay> holidays = {}) {
  std::vector<BusinessCalendar::Interval> open;
  for (int d = 1; d <= 5; ++d) open.push_back({d, 9 * 60, 17 * 60});
  return *BusinessCalendar::Create(zone, open, std::move(holidays));
}

// The defaults of migration 0002.
SlaPolicies DefaultPolicies() {
  SlaPolicies p;
  p[Priority::kUrgent] = {Priority::kUrgent, absl::Minutes(30), absl::Hours(4),
                          BusinessCalendar::AlwaysOpen()};
  p[Priority::kHigh] = {Priority::kHigh, absl::Hours(1), absl::Hours(8), OfficeHours()};
  p[Priority::kNormal] = {Priority::kNormal, absl::Hours(4), absl::Hours(24), OfficeHours()};
  p[Priority::kLow] = {Priority::kLow, absl::Hours(8), absl::Hours(40), OfficeHours()};
  return p;
}

TEST(ComplaintTransitions, OnlyTheLifecycleTableIsAllowed) {
  const std::set<std::pair<S, S>> allowed = {
      {S::kNew, S::kInProgress},          {S::kInProgress, S::kWaitingOnCustomer},
      {S::kWaitingOnCustomer, S::kInProgress}, {S::kInProgress, S::kResolved},
      {S::kResolved, S::kClosed},         {S::kResolved, S::kInProgress}};
  const S all[] = {S::kUnspecified, S::kNew, S::kInProgress, S::kWaitingOnCustomer,
                   S::kResolved, S::kClosed};
  for (S from : all) {
    for (S to : all) {
      const absl::Status st = CheckTransition(from, to);
      if (allowed.count({from, to}) > 0) {
        EXPECT_TRUE(st.ok()) << StatusName(from) << "->" << StatusName(to);
      } else {
        EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
        EXPECT_EQ(st.message(), "to_status: cannot change a complaint from " +
                                    std::string(StatusName(from)) + " to " +
                                    std::string(StatusName(to)));
      }
    }
  }
}

TEST(BusinessCalendar, SkipsTheWeekend) {
  const BusinessCalendar cal = OfficeHours();
  // Friday 2026-11-20 16:00 + 2 business hours = Monday 10:00.
  EXPECT_EQ(cal.Add(Utc(2026, 11, 20, 16), absl::Hours(2)), Utc(2026, 11, 23, 10));
  EXPECT_EQ(cal.Between(Utc(2026, 11, 20, 16), Utc(2026, 11, 23, 10)), absl::Hours(2));
  // Saturday night counts from Monday's opening.
  EXPECT_EQ(cal.Add(Utc(2026, 11, 21, 3), absl::Hours(1)), Utc(2026, 11, 23, 10));
  // Exactly the end of a day stays on that day.
  EXPECT_EQ(cal.Add(Utc(2026, 11, 23, 9), absl::Hours(8)), Utc(2026, 11, 23, 17));
  EXPECT_EQ(cal.Add(Utc(2026, 11, 23, 9), absl::Hours(40)), Utc(2026, 11, 27, 17));
  EXPECT_EQ(cal.Add(Utc(2026, 11, 23, 12), absl::ZeroDuration()), Utc(2026, 11, 23, 12));
}

TEST(BusinessCalendar, SkipsHolidays) {
  const BusinessCalendar cal =
      OfficeHours("UTC", {absl::CivilDay(2026, 12, 24), absl::CivilDay(2026, 12, 25)});
  // Wednesday 2026-12-23 16:00 + 2 h: Thursday and Friday are holidays.
  EXPECT_EQ(cal.Add(Utc(2026, 12, 23, 16), absl::Hours(2)), Utc(2026, 12, 28, 10));
  EXPECT_EQ(cal.Between(Utc(2026, 12, 23, 0), Utc(2026, 12, 29, 0)), absl::Hours(16));
}

TEST(BusinessCalendar, FollowsLocalTimeAcrossDaylightSavingChanges) {
  const absl::TimeZone berlin = Zone("Europe/Berlin");
  const BusinessCalendar office = OfficeHours("Europe/Berlin");
  // Friday 2026-03-27 16:00 CET + 2 business hours = Monday 10:00 CEST.
  const absl::Time friday = absl::FromCivil(absl::CivilSecond(2026, 3, 27, 16, 0, 0), berlin);
  EXPECT_EQ(absl::ToCivilSecond(office.Add(friday, absl::Hours(2)), berlin),
            absl::CivilSecond(2026, 3, 30, 10, 0, 0));
  // Around the clock in Berlin: the night of 29 March has 23 hours.
  std::vector<BusinessCalendar::Interval> all_week;
  for (int d = 1; d <= 7; ++d) all_week.push_back({d, 0, 1440});
  const BusinessCalendar always = *BusinessCalendar::Create("Europe/Berlin", all_week, {});
  const absl::Time sat = absl::FromCivil(absl::CivilSecond(2026, 3, 28, 12, 0, 0), berlin);
  const absl::Time sun = absl::FromCivil(absl::CivilSecond(2026, 3, 29, 12, 0, 0), berlin);
  EXPECT_EQ(always.Between(sat, sun), absl::Hours(23));
  EXPECT_EQ(always.Add(sat, absl::Hours(23)), sun);
  // In autumn the day has 25 hours.
  const absl::Time oct_sat = absl::FromCivil(absl::CivilSecond(2026, 10, 24, 12, 0, 0), berlin);
  const absl::Time oct_sun = absl::FromCivil(absl::CivilSecond(2026, 10, 25, 12, 0, 0), berlin);
  EXPECT_EQ(always.Between(oct_sat, oct_sun), absl::Hours(25));
}

TEST(BusinessCalendar, RejectsBadDefinitions) {
  EXPECT_EQ(BusinessCalendar::Create("Mars/Olympus", {{1, 0, 60}}, {}).status().message(),
            "calendar.time_zone: unknown IANA time zone");
  EXPECT_FALSE(BusinessCalendar::Create("UTC", {}, {}).ok());
  EXPECT_FALSE(BusinessCalendar::Create("UTC", {{8, 0, 60}}, {}).ok());
  EXPECT_FALSE(BusinessCalendar::Create("UTC", {{1, 60, 60}}, {}).ok());
  EXPECT_FALSE(BusinessCalendar::Create("UTC", {{1, 0, 1441}}, {}).ok());
  EXPECT_FALSE(BusinessCalendar::Create("UTC", {{1, 0, 120}, {1, 60, 180}}, {}).ok());
}

Complaint Filed(Priority p, absl::Time at) {
  Complaint c;
  c.priority = p;
  StartSla(c, DefaultPolicies(), at);
  return c;
}

TEST(SlaClock, DueTimesFollowThePriorityPolicy) {
  // Friday 15:00 UTC.
  const Complaint normal = Filed(Priority::kNormal, Utc(2026, 11, 20, 15));
  EXPECT_EQ(normal.first_response_due_at, Utc(2026, 11, 23, 11));   // 4 business hours
  EXPECT_EQ(normal.resolution_due_at, Utc(2026, 11, 25, 15));        // 3 business days
  const Complaint urgent = Filed(Priority::kUrgent, Utc(2026, 11, 21, 23));  // Saturday night
  EXPECT_EQ(urgent.first_response_due_at, Utc(2026, 11, 21, 23, 30));
  EXPECT_EQ(urgent.resolution_due_at, Utc(2026, 11, 22, 3));
}

TEST(SlaClock, PausesWhileWaitingOnCustomer) {
  const SlaPolicies policies = DefaultPolicies();
  testing::FakeClock clock(Utc(2026, 11, 23, 9));  // Monday 09:00
  Complaint c = Filed(Priority::kNormal, clock.Now());
  const absl::Time due = c.resolution_due_at;  // Wednesday 17:00
  ASSERT_TRUE(ApplyTransition(c, S::kInProgress, "", policies, clock.Now()).ok());
  clock.Advance(absl::Hours(1));  // Monday 10:00
  ASSERT_TRUE(ApplyTransition(c, S::kWaitingOnCustomer, "", policies, clock.Now()).ok());
  EXPECT_TRUE(c.sla_paused);
  // The customer answers Tuesday 10:00: 8 business hours were paused.
  clock.Advance(absl::Hours(24));
  ASSERT_TRUE(ApplyTransition(c, S::kInProgress, "", policies, clock.Now()).ok());
  EXPECT_FALSE(c.sla_paused);
  EXPECT_EQ(c.paused_business, absl::Hours(8));
  EXPECT_EQ(c.resolution_due_at, policies.at(Priority::kNormal).calendar.Add(due, absl::Hours(8)));
  EXPECT_EQ(c.resolution_due_at, Utc(2026, 11, 26, 17));
  // A paused complaint never breaches its resolution target.
  ASSERT_TRUE(ApplyTransition(c, S::kWaitingOnCustomer, "", policies, clock.Now()).ok());
  EXPECT_THAT(ApplyBreaches(c, policies, Utc(2026, 12, 31, 0)),
              ::testing::ElementsAre("first_response"));
  EXPECT_FALSE(c.resolution_breached);
}

TEST(SlaClock, APauseOverTheWeekendCostsNothing) {
  const SlaPolicies policies = DefaultPolicies();
  Complaint c = Filed(Priority::kNormal, Utc(2026, 11, 20, 9));  // Friday
  ASSERT_TRUE(ApplyTransition(c, S::kInProgress, "", policies, Utc(2026, 11, 20, 9)).ok());
  const absl::Time due = c.resolution_due_at;
  ASSERT_TRUE(ApplyTransition(c, S::kWaitingOnCustomer, "", policies, Utc(2026, 11, 20, 17)).ok());
  ASSERT_TRUE(ApplyTransition(c, S::kInProgress, "", policies, Utc(2026, 11, 23, 9)).ok());
  EXPECT_EQ(c.paused_business, absl::ZeroDuration());
  EXPECT_EQ(c.resolution_due_at, due);
}

TEST(SlaClock, ChangingPriorityRecomputesDueTimesKeepingPauses) {
  const SlaPolicies policies = DefaultPolicies();
  Complaint c = Filed(Priority::kLow, Utc(2026, 11, 23, 9));
  c.paused_business = absl::Hours(2);
  ApplyPriority(c, Priority::kHigh, policies);
  EXPECT_EQ(c.first_response_due_at, Utc(2026, 11, 23, 10));
  EXPECT_EQ(c.resolution_due_at, Utc(2026, 11, 24, 11));  // 8 h + 2 h paused
}

TEST(SlaClock, FirstPublicNoteOrResolutionIsTheFirstResponse) {
  const SlaPolicies policies = DefaultPolicies();
  Complaint c = Filed(Priority::kNormal, Utc(2026, 11, 23, 9));
  ApplyNote(c, /*is_public=*/false, Utc(2026, 11, 23, 9, 5));
  EXPECT_FALSE(c.first_response_at);
  ApplyNote(c, /*is_public=*/true, Utc(2026, 11, 23, 9, 10));
  EXPECT_EQ(c.first_response_at, Utc(2026, 11, 23, 9, 10));
  ApplyNote(c, true, Utc(2026, 11, 23, 9, 20));
  EXPECT_EQ(c.first_response_at, Utc(2026, 11, 23, 9, 10));

  Complaint d = Filed(Priority::kNormal, Utc(2026, 11, 23, 9));
  ASSERT_TRUE(ApplyTransition(d, S::kInProgress, "", policies, Utc(2026, 11, 23, 9)).ok());
  EXPECT_EQ(ApplyTransition(d, S::kResolved, "", policies, Utc(2026, 11, 23, 10)).message(),
            "resolution_code: is required to resolve a complaint");
  EXPECT_EQ(d.status, S::kInProgress);
  ASSERT_TRUE(ApplyTransition(d, S::kResolved, "refund", policies, Utc(2026, 11, 23, 10)).ok());
  EXPECT_EQ(d.first_response_at, Utc(2026, 11, 23, 10));
  EXPECT_EQ(d.resolved_at, Utc(2026, 11, 23, 10));
}

TEST(SlaClock, ReopeningCountsAndClearsTheResolution) {
  const SlaPolicies policies = DefaultPolicies();
  Complaint c = Filed(Priority::kNormal, Utc(2026, 11, 23, 9));
  ASSERT_TRUE(ApplyTransition(c, S::kInProgress, "", policies, Utc(2026, 11, 23, 9)).ok());
  ASSERT_TRUE(ApplyTransition(c, S::kResolved, "fixed", policies, Utc(2026, 11, 23, 10)).ok());
  ASSERT_TRUE(ApplyTransition(c, S::kInProgress, "", policies, Utc(2026, 11, 23, 11)).ok());
  EXPECT_EQ(c.reopen_count, 1);
  EXPECT_FALSE(c.resolved_at);
  EXPECT_EQ(c.resolution_code, "");
  ASSERT_TRUE(ApplyTransition(c, S::kResolved, "fixed", policies, Utc(2026, 11, 23, 12)).ok());
  ASSERT_TRUE(ApplyTransition(c, S::kClosed, "", policies, Utc(2026, 11, 24, 12)).ok());
  EXPECT_EQ(c.closed_at, Utc(2026, 11, 24, 12));
  EXPECT_EQ(ApplyTransition(c, S::kInProgress, "", policies, Utc(2026, 11, 25, 12)).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(Escalation, BreachesEscalateAndTheSecondLevelRaisesPriority) {
  const SlaPolicies policies = DefaultPolicies();
  Complaint c = Filed(Priority::kNormal, Utc(2026, 11, 23, 9));
  EXPECT_TRUE(ApplyBreaches(c, policies, Utc(2026, 11, 23, 13)).empty());  // exactly due
  EXPECT_THAT(ApplyBreaches(c, policies, Utc(2026, 11, 23, 13, 1)),
              ::testing::ElementsAre("first_response"));
  EXPECT_EQ(c.escalation_level, 1);
  EXPECT_EQ(c.priority, Priority::kNormal);
  EXPECT_TRUE(ApplyBreaches(c, policies, Utc(2026, 11, 23, 14)).empty());  // once per breach
  // HIGH's targets are tighter, so the resolution is now breached too.
  EXPECT_THAT(ApplyBreaches(c, policies, Utc(2026, 11, 26, 10)),
              ::testing::ElementsAre("resolution"));
  EXPECT_EQ(c.escalation_level, 2);
  EXPECT_EQ(c.priority, Priority::kHigh);
  EXPECT_EQ(c.resolution_due_at, Utc(2026, 11, 23, 17));  // HIGH: 1 business day
  ApplyEscalation(c, policies);
  EXPECT_EQ(c.escalation_level, 3);
  EXPECT_EQ(c.priority, Priority::kHigh);  // only the second level raises it

  Complaint urgent = Filed(Priority::kUrgent, Utc(2026, 11, 23, 9));
  ApplyEscalation(urgent, policies);
  ApplyEscalation(urgent, policies);
  EXPECT_EQ(urgent.priority, Priority::kUrgent);
}

TEST(Escalation, ResolvedComplaintsDoNotBreach) {
  const SlaPolicies policies = DefaultPolicies();
  Complaint c = Filed(Priority::kUrgent, Utc(2026, 11, 23, 9));
  ASSERT_TRUE(ApplyTransition(c, S::kInProgress, "", policies, Utc(2026, 11, 23, 9)).ok());
  ASSERT_TRUE(ApplyTransition(c, S::kResolved, "x", policies, Utc(2026, 11, 23, 9, 10)).ok());
  EXPECT_TRUE(ApplyBreaches(c, policies, Utc(2026, 12, 23, 9)).empty());
}

TEST(AuditDiff, ListsOnlyChangedFieldsAndNoPersonalData) {
  Complaint a = Filed(Priority::kNormal, Utc(2026, 11, 23, 9));
  a.customer.phone = "+4912345";
  Complaint b = a;
  b.assignee_id = "agent-7";
  b.customer.phone = "+49999";
  b.description = "secret";
  auto [before, after] = Diff(a, b);
  EXPECT_EQ(before, (std::map<std::string, std::string>{{"assignee_id", ""}}));
  EXPECT_EQ(after, (std::map<std::string, std::string>{{"assignee_id", "agent-7"}}));
}

TEST(ClosedLoop, LowScoresFromReachableCustomersOpenACase) {
  const ClosedLoopRule rule;
  const Customer reachable{"", "+4912345", "", ""};
  EXPECT_EQ(ClosedLoopPriority(rule, ScoreKind::kCsat, 1, reachable), Priority::kHigh);
  EXPECT_EQ(ClosedLoopPriority(rule, ScoreKind::kCsat, 2, reachable), Priority::kNormal);
  EXPECT_EQ(ClosedLoopPriority(rule, ScoreKind::kCsat, 3, reachable), std::nullopt);
  EXPECT_EQ(ClosedLoopPriority(rule, ScoreKind::kNps, 0, reachable), Priority::kHigh);
  EXPECT_EQ(ClosedLoopPriority(rule, ScoreKind::kNps, 3, reachable), Priority::kHigh);
  EXPECT_EQ(ClosedLoopPriority(rule, ScoreKind::kNps, 4, reachable), Priority::kNormal);
  EXPECT_EQ(ClosedLoopPriority(rule, ScoreKind::kNps, 6, reachable), Priority::kNormal);
  EXPECT_EQ(ClosedLoopPriority(rule, ScoreKind::kNps, 7, reachable), std::nullopt);
  EXPECT_EQ(ClosedLoopPriority(rule, ScoreKind::kCsat, 1, Customer{}), std::nullopt);
  EXPECT_EQ(ClosedLoopPriority({.csat_max = 3}, ScoreKind::kCsat, 3, Customer{"c1", "", "", ""}),
            Priority::kNormal);
}

}  // namespace
}  // namespace feedback::domain
