// The RPC ceiling for the ingest benchmark: a FeedbackService built from
// the same gRPC, protos and callback API as feedbackd, whose SubmitRating
// answers at once without storing anything. Everything else is
// UNIMPLEMENTED.
//
//   feedback_noop_server --listen 127.0.0.1:50061

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "feedback/v1/feedback_service.grpc.pb.h"

namespace {

class NoopFeedbackService final : public feedback::v1::FeedbackService::CallbackService {
 public:
  grpc::ServerUnaryReactor* SubmitRating(grpc::CallbackServerContext* context,
                                         const feedback::v1::SubmitRatingRequest* request,
                                         feedback::v1::SubmitRatingResponse* response) override {
    auto* reactor = context->DefaultReactor();
    // The same answer shape feedbackd gives: an id and the receive time.
    response->set_feedback_id(request->request_id());
    response->mutable_received_at()->set_seconds(1);
    reactor->Finish(context->client_metadata().count("authorization")
                        ? grpc::Status::OK
                        : grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "authorization missing"));
    return reactor;
  }
};

std::atomic<bool> stopping{false};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"feedback_noop_server: SubmitRating that stores nothing (RPC ceiling)"};
  std::string listen = "127.0.0.1:50061";
  app.add_option("--listen", listen);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  NoopFeedbackService service;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::cerr << "error: cannot listen on " << listen << "\n";
    return 1;
  }
  std::signal(SIGTERM, [](int) { stopping = true; });
  std::signal(SIGINT, [](int) { stopping = true; });
  std::cout << "listening on " << listen << std::endl;
  while (!stopping) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server->Shutdown();
  return 0;
}
