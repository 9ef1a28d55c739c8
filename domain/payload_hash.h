#pragma once

#include <string>

#include "domain/feedback.h"

namespace feedback::domain {

// SHA-256 (32 raw bytes) of everything in `submission` except its
// request_id, in a fixed length-prefixed encoding: equal payloads hash
// equal, whatever the attribute order, and any changed field (including the
// submit kind and whether occurred_at was given) changes the hash.
std::string PayloadHash(const Submission& submission);

}  // namespace feedback::domain
