#pragma once

#include <grpcpp/support/server_callback.h>

#include <chrono>

#include "absl/functional/any_invocable.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/common/authenticator.h"
#include "services/common/grpc_status.h"
#include "services/common/worker_pool.h"
#include "storage/statement_deadline.h"

namespace feedback::services {

// The shape of a unary call whose work blocks (database calls): the handler
// returns at once, the caller is authenticated and authorized for `rpc`
// (the full method name), `work` runs on `workers`
// (never on gRPC's threads) and its status finishes the call.
// RESOURCE_EXHAUSTED when the worker queue is full. A call cancelled (or
// past its deadline) before a worker picks it up does no work at all, and
// the database statements of one that runs are cut off at its deadline.
using BlockingWork = absl::AnyInvocable<absl::Status(const domain::Caller&) &&>;

// The call's deadline; InfiniteFuture when the client set none.
inline absl::Time CallDeadline(const grpc::CallbackServerContext& context) {
  const absl::Time deadline = absl::FromChrono(context.deadline());
  return deadline - absl::Now() > absl::Hours(24 * 365) ? absl::InfiniteFuture() : deadline;
}

inline grpc::ServerUnaryReactor* RunBlockingCall(Authenticator& auth, WorkerPool& workers,
                                                 grpc::CallbackServerContext* context,
                                                 std::string_view rpc, BlockingWork work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auth.Authenticate(*context, rpc, [&workers, context, reactor, work = std::move(work)](
                                  absl::StatusOr<domain::Caller> caller) mutable {
    if (!caller.ok()) return reactor->Finish(ToGrpcStatus(caller.status()));
    const bool queued = workers.TrySubmit(
        [context, reactor, caller = *std::move(caller), work = std::move(work)]() mutable {
          if (context->IsCancelled()) {
            reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "call cancelled"));
            return;
          }
          storage::ScopedStatementDeadline deadline(CallDeadline(*context));
          reactor->Finish(ToGrpcStatus(std::move(work)(caller)));
        });
    if (!queued) {
      reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                   "server overloaded, retry later"));
    }
  });
  return reactor;
}

}  // namespace feedback::services
