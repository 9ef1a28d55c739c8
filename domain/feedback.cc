#include "domain/feedback.h"

namespace feedback::domain {

NpsCategory CategorizeNps(int score) {
  if (score < 0 || score > 10) return NpsCategory::kUnspecified;
  if (score >= 9) return NpsCategory::kPromoter;
  if (score >= 7) return NpsCategory::kPassive;
  return NpsCategory::kDetractor;
}

}  // namespace feedback::domain
