#pragma once

#include <grpcpp/support/server_callback.h>

#include "absl/functional/any_invocable.h"
#include "services/common/authenticator.h"
#include "services/common/grpc_status.h"
#include "services/common/worker_pool.h"

namespace feedback::services {

// The shape of a unary call whose work blocks (database calls): the handler
// returns at once, the caller is authenticated and authorized for `rpc`
// (the full method name), `work` runs on `workers`
// (never on gRPC's threads) and its status finishes the call.
// RESOURCE_EXHAUSTED when the worker queue is full.
using BlockingWork = absl::AnyInvocable<absl::Status(const domain::Caller&) &&>;

inline grpc::ServerUnaryReactor* RunBlockingCall(Authenticator& auth, WorkerPool& workers,
                                                 grpc::CallbackServerContext* context,
                                                 std::string_view rpc, BlockingWork work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auth.Authenticate(*context, rpc, [&workers, reactor, work = std::move(work)](
                                  absl::StatusOr<domain::Caller> caller) mutable {
    if (!caller.ok()) return reactor->Finish(ToGrpcStatus(caller.status()));
    const bool queued = workers.TrySubmit(
        [reactor, caller = *std::move(caller), work = std::move(work)]() mutable {
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
