#pragma once

#include "feedback/v1/admin_service.grpc.pb.h"
#include "services/common/authenticator.h"
#include "services/common/worker_pool.h"
#include "storage/api_key_store.h"
#include "storage/complaint_store.h"
#include "storage/customer_eraser.h"

namespace feedback::services {

// gRPC adapter of feedback.v1.AdminService (admins only, by the role table).
class AdminServiceImpl final : public v1::AdminService::CallbackService {
 public:
  AdminServiceImpl(Authenticator& auth, WorkerPool& workers, storage::ApiKeyStore& keys,
                   storage::ComplaintStore& complaints, storage::CustomerEraser& eraser)
      : auth_(auth), workers_(workers), keys_(keys), complaints_(complaints), eraser_(eraser) {}

  grpc::ServerUnaryReactor* CreateApiKey(grpc::CallbackServerContext* context,
                                         const v1::CreateApiKeyRequest* request,
                                         v1::CreateApiKeyResponse* response) override;
  grpc::ServerUnaryReactor* RevokeApiKey(grpc::CallbackServerContext* context,
                                         const v1::RevokeApiKeyRequest* request,
                                         v1::ApiKey* response) override;
  grpc::ServerUnaryReactor* ListApiKeys(grpc::CallbackServerContext* context,
                                        const v1::ListApiKeysRequest* request,
                                        v1::ListApiKeysResponse* response) override;
  grpc::ServerUnaryReactor* UpsertSlaPolicy(grpc::CallbackServerContext* context,
                                            const v1::UpsertSlaPolicyRequest* request,
                                            v1::SlaPolicy* response) override;
  grpc::ServerUnaryReactor* ListSlaPolicies(grpc::CallbackServerContext* context,
                                            const v1::ListSlaPoliciesRequest* request,
                                            v1::ListSlaPoliciesResponse* response) override;
  grpc::ServerUnaryReactor* EraseCustomer(grpc::CallbackServerContext* context,
                                          const v1::EraseCustomerRequest* request,
                                          v1::EraseCustomerResponse* response) override;

 private:
  Authenticator& auth_;
  WorkerPool& workers_;
  storage::ApiKeyStore& keys_;
  storage::ComplaintStore& complaints_;
  storage::CustomerEraser& eraser_;
};

}  // namespace feedback::services
