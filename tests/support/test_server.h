#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"
#include "services/feedbackd/feedback_server.h"
#include "storage/api_key_store.h"

namespace feedback::testing {

// Options for an in-process server on 127.0.0.1:0 over `database_url`, with
// short intervals suited to tests.
inline services::ServerOptions TestServerOptions(const std::string& database_url) {
  services::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.database_url = database_url;
  options.health_interval = absl::Milliseconds(100);
  options.pool_acquire_timeout = absl::Milliseconds(500);
  options.drain_timeout = absl::Seconds(10);
  options.insecure = true;  // in-process tests talk plaintext on loopback
  return options;
}

// Creates an API key on `database_url` and returns the secret.
inline std::string CreateTestKey(const std::string& database_url, const std::string& name,
                                 domain::Role role = domain::Role::kIngest,
                                 const std::vector<std::string>& queues = {}) {
  storage::ConnectionPool pool({database_url, 1});
  storage::ApiKeyStore keys(pool);
  absl::StatusOr<storage::CreatedApiKey> created = keys.Create(name, role, queues);
  EXPECT_TRUE(created.ok()) << created.status();
  return created.ok() ? created->key : "";
}

// The health status over `channel`, UNKNOWN when the call fails.
inline grpc::health::v1::HealthCheckResponse::ServingStatus HealthOf(grpc::Channel& channel) {
  auto stub = grpc::health::v1::Health::NewStub(
      std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status st = stub->Check(&context, {}, &response);
  return st.ok() ? response.status() : grpc::health::v1::HealthCheckResponse::UNKNOWN;
}

// Waits up to 15 s for `wanted`.
inline bool WaitForHealth(grpc::Channel& channel,
                          grpc::health::v1::HealthCheckResponse::ServingStatus wanted) {
  for (int i = 0; i < 150; ++i) {
    if (HealthOf(channel) == wanted) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

// A started server and a channel to it.
struct TestServer {
  std::unique_ptr<services::FeedbackServer> server;
  std::shared_ptr<grpc::Channel> channel;
};

// Starts a server with `options` and waits until it is SERVING.
inline TestServer StartTestServer(const services::ServerOptions& options) {
  TestServer t;
  auto server = services::FeedbackServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return t;
  t.server = *std::move(server);
  t.channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(t.server->port()),
                                  grpc::InsecureChannelCredentials());
  EXPECT_TRUE(WaitForHealth(*t.channel, grpc::health::v1::HealthCheckResponse::SERVING));
  return t;
}

}  // namespace feedback::testing
