#include "storage/customer_eraser.h"

#include <pqxx/result>
#include <pqxx/transaction>

#include "domain/sha256.h"
#include "storage/admin_audit.h"
#include "storage/fold/folder.h"
#include "storage/pg_status.h"

namespace feedback::storage {
namespace {

constexpr char kEraseNotes[] = R"sql(
UPDATE complaint_notes SET body = '' WHERE complaint_id IN
  (SELECT id FROM complaints WHERE customer_id = $1))sql";

constexpr char kEraseFollowUps[] = R"sql(
UPDATE follow_ups SET note = '', outcome = '' WHERE complaint_id IN
  (SELECT id FROM complaints WHERE customer_id = $1))sql";

// Escalation reasons are free text an agent typed about the customer.
constexpr char kEraseEventTexts[] = R"sql(
UPDATE complaint_events SET detail = '' WHERE kind = 6 AND complaint_id IN
  (SELECT id FROM complaints WHERE customer_id = $1))sql";

constexpr char kEraseComplaints[] = R"sql(
UPDATE complaints SET customer_id = NULL, customer_phone = NULL, customer_email = NULL,
  customer_name = NULL, description = '', version = version + 1
WHERE customer_id = $1)sql";

constexpr char kEraseFeedback[] = R"sql(
UPDATE feedback SET customer_id = NULL, customer_phone = NULL, customer_email = NULL,
  customer_name = NULL, comment = NULL
WHERE customer_id = $1)sql";


}  // namespace

absl::StatusOr<ErasureCounts> CustomerEraser::Erase(const std::string& customer_id,
                                                    const std::string& actor) {
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<ErasureCounts> {
    ErasureCounts counts;
    // Under the fold lock, so no fold in flight adds the customer back from
    // facts it read before the erasure.
    fold::WithFoldLock(conn, true, [&] {
    pqxx::work tx(conn.get());
    tx.exec_params(kEraseNotes, customer_id);
    tx.exec_params(kEraseFollowUps, customer_id);
    tx.exec_params(kEraseEventTexts, customer_id);
    counts.complaints = static_cast<int64_t>(tx.exec_params(kEraseComplaints, customer_id).affected_rows());
    counts.feedback_rows = static_cast<int64_t>(tx.exec_params(kEraseFeedback, customer_id).affected_rows());
    // The reports cannot count a customer they may not identify.
    fold::Folder::EraseCustomer(tx, customer_id);
    InsertAdminAudit(tx, actor, "erase_customer",
                     "customer_sha256:" + domain::HexEncode(domain::Sha256(customer_id)));
    tx.commit();
    });
    return counts;
  });
}

}  // namespace feedback::storage
