#include "storage/admin_audit.h"

#include <pqxx/transaction>

namespace feedback::storage {

void InsertAdminAudit(pqxx::transaction_base& tx, const std::string& actor,
                      const std::string& action, const std::string& target) {
  tx.exec_params("INSERT INTO admin_audit (actor, action, target) VALUES ($1, $2, $3)", actor,
                 action, target);
}

}  // namespace feedback::storage
