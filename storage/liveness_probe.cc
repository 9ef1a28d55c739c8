#include "storage/liveness_probe.h"

#include <libpq-fe.h>
#include <poll.h>

#include <memory>

#include "absl/time/clock.h"

namespace feedback::storage {
namespace {

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};

// Waits until the connection's socket is ready for `events` or `deadline`.
bool WaitFor(PGconn* conn, short events, absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return false;
  pollfd fd{PQsocket(conn), events, 0};
  const int ms = static_cast<int>(absl::ToInt64Milliseconds(left)) + 1;
  return poll(&fd, 1, ms) > 0;
}

}  // namespace

absl::Status ProbeDatabase(const std::string& url, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::unique_ptr<PGconn, ConnCloser> conn(PQconnectStart(url.c_str()));
  if (conn == nullptr || PQstatus(conn.get()) == CONNECTION_BAD) {
    return absl::UnavailableError("database: cannot connect");
  }
  for (PostgresPollingStatusType state = PGRES_POLLING_WRITING; state != PGRES_POLLING_OK;) {
    if (state == PGRES_POLLING_FAILED) return absl::UnavailableError("database: cannot connect");
    if (!WaitFor(conn.get(), state == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline)) {
      return absl::UnavailableError("database: no answer to connect in time");
    }
    state = PQconnectPoll(conn.get());
  }
  if (PQsendQuery(conn.get(), "SELECT 1") != 1) {
    return absl::UnavailableError("database: cannot send the probe");
  }
  while (true) {
    if (PQflush(conn.get()) < 0) return absl::UnavailableError("database: connection lost");
    if (PQconsumeInput(conn.get()) != 1) return absl::UnavailableError("database: connection lost");
    if (!PQisBusy(conn.get())) break;
    if (!WaitFor(conn.get(), POLLIN, deadline)) {
      return absl::UnavailableError("database: no answer in time");
    }
  }
  bool ok = false;
  for (PGresult* r = PQgetResult(conn.get()); r != nullptr; r = PQgetResult(conn.get())) {
    ok = ok || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
  }
  return ok ? absl::OkStatus() : absl::UnavailableError("database: the probe failed");
}

}  // namespace feedback::storage
