#include "domain/payload_hash.h"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

namespace feedback::domain {
namespace {

Submission Full() {
  Submission s;
  s.kind = SubmitKind::kRating;
  s.request_id = "r1";
  s.channel = 1;
  s.customer = {"c1", "+4912345", "a@example.com", "Ann"};
  s.interaction_id = "call-1";
  s.agent_id = "agent-1";
  s.queue = "billing";
  s.csat_score = 4;
  s.comment = "fine";
  s.occurred_at = absl::FromUnixSeconds(1790000000);
  s.attributes = {{"a", "1"}, {"b", "2"}};
  s.complaint_id = "cmp-1";
  return s;
}

TEST(PayloadHash, IsThirtyTwoBytesAndIgnoresRequestId) {
  Submission a = Full();
  Submission b = Full();
  b.request_id = "another";
  EXPECT_EQ(PayloadHash(a).size(), 32u);
  EXPECT_EQ(PayloadHash(a), PayloadHash(b));
}

TEST(PayloadHash, AttributeInsertionOrderDoesNotMatter) {
  Submission a = Full();
  Submission b = Full();
  b.attributes.clear();
  b.attributes.emplace("b", "2");
  b.attributes.emplace("a", "1");
  EXPECT_EQ(PayloadHash(a), PayloadHash(b));
}

TEST(PayloadHash, EveryFieldChangesTheHash) {
  const std::vector<std::function<void(Submission&)>> changes = {
      [](Submission& s) { s.kind = SubmitKind::kSurvey; },
      [](Submission& s) { s.channel = 2; },
      [](Submission& s) { s.customer.customer_id = "c2"; },
      [](Submission& s) { s.customer.phone = "+4912346"; },
      [](Submission& s) { s.customer.email = "b@example.com"; },
      [](Submission& s) { s.customer.display_name = "Bob"; },
      [](Submission& s) { s.interaction_id = "call-2"; },
      [](Submission& s) { s.agent_id = "agent-2"; },
      [](Submission& s) { s.queue = "general"; },
      [](Submission& s) { s.csat_score = 5; },
      [](Submission& s) { s.nps_score = 4; },
      [](Submission& s) { s.comment = "fine!"; },
      [](Submission& s) { s.occurred_at = *s.occurred_at + absl::Nanoseconds(1); },
      [](Submission& s) { s.occurred_at.reset(); },
      [](Submission& s) { s.attributes["a"] = "x"; },
      [](Submission& s) { s.attributes.erase("b"); },
      [](Submission& s) { s.complaint_id = "cmp-2"; },
  };
  const std::string base = PayloadHash(Full());
  for (size_t i = 0; i < changes.size(); ++i) {
    Submission s = Full();
    changes[i](s);
    EXPECT_NE(PayloadHash(s), base) << "change #" << i;
  }
}

TEST(PayloadHash, FieldBoundariesCannotBeShifted) {
  Submission a = Full();
  a.interaction_id = "ab";
  a.agent_id = "c";
  Submission b = Full();
  b.interaction_id = "a";
  b.agent_id = "bc";
  EXPECT_NE(PayloadHash(a), PayloadHash(b));
  Submission c = Full();
  c.attributes = {{"ab", "c"}};
  Submission d = Full();
  d.attributes = {{"a", "bc"}};
  EXPECT_NE(PayloadHash(c), PayloadHash(d));
}

}  // namespace
}  // namespace feedback::domain
