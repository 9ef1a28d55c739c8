#include "domain/payload_hash.h"

#include <cstdint>

#include "domain/sha256.h"

namespace feedback::domain {
namespace {

// Appends a tagged, length-prefixed field so no two different payloads can
// produce the same byte string.
class Encoder {
 public:
  void Field(char tag, std::string_view value) {
    out_.push_back(tag);
    Int(static_cast<int64_t>(value.size()));
    out_.append(value);
  }
  void Int(int64_t value) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>(value >> (8 * i)));
  }
  void Tag(char tag) { out_.push_back(tag); }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
};

}  // namespace

std::string PayloadHash(const Submission& s) {
  Encoder e;
  e.Tag('k');
  e.Int(static_cast<int>(s.kind));
  e.Tag('c');
  e.Int(s.channel);
  e.Field('i', s.customer.customer_id);
  e.Field('p', s.customer.phone);
  e.Field('e', s.customer.email);
  e.Field('n', s.customer.display_name);
  e.Field('x', s.interaction_id);
  e.Field('a', s.agent_id);
  e.Field('q', s.queue);
  if (s.csat_score) {
    e.Tag('s');
    e.Int(*s.csat_score);
  }
  if (s.nps_score) {
    e.Tag('N');
    e.Int(*s.nps_score);
  }
  e.Field('m', s.comment);
  if (s.occurred_at) {
    absl::Duration below_second;
    const int64_t seconds = absl::IDivDuration(*s.occurred_at - absl::UnixEpoch(),
                                               absl::Seconds(1), &below_second);
    e.Tag('t');
    e.Int(seconds);
    e.Int(absl::ToInt64Nanoseconds(below_second));
  }
  e.Tag('A');
  e.Int(static_cast<int64_t>(s.attributes.size()));
  for (const auto& [key, value] : s.attributes) {  // std::map: sorted by key
    e.Field('K', key);
    e.Field('V', value);
  }
  e.Field('C', s.complaint_id);

  return Sha256(e.bytes());
}

}  // namespace feedback::domain
