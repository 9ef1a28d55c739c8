#include "domain/feedback.h"

#include <gtest/gtest.h>

namespace feedback::domain {
namespace {

TEST(NpsCategory, PromotersNineToTenPassivesSevenToEightDetractorsZeroToSix) {
  for (int s = 0; s <= 6; ++s) EXPECT_EQ(CategorizeNps(s), NpsCategory::kDetractor) << s;
  for (int s = 7; s <= 8; ++s) EXPECT_EQ(CategorizeNps(s), NpsCategory::kPassive) << s;
  for (int s = 9; s <= 10; ++s) EXPECT_EQ(CategorizeNps(s), NpsCategory::kPromoter) << s;
  EXPECT_EQ(CategorizeNps(-1), NpsCategory::kUnspecified);
  EXPECT_EQ(CategorizeNps(11), NpsCategory::kUnspecified);
}

}  // namespace
}  // namespace feedback::domain
