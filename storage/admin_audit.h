#pragma once

#include <string>

namespace pqxx {
class transaction_base;
}

namespace feedback::storage {

// Records an admin action in `tx` (so it commits or rolls back with the
// action). `target` must not contain personal data.
void InsertAdminAudit(pqxx::transaction_base& tx, const std::string& actor,
                      const std::string& action, const std::string& target);

}  // namespace feedback::storage
