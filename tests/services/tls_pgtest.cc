// Transport security: TLS, mutual TLS, the plaintext health port, and no
// plaintext unless asked for.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "clients/feedback_client.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace feedback::services {
namespace {

using grpc::health::v1::HealthCheckResponse;

// A throwaway CA with a server certificate for localhost/127.0.0.1 and a
// client certificate, made with the openssl command line.
class Certificates {
 public:
  Certificates() {
    char pattern[] = "/tmp/feedback-tls-XXXXXX";
    dir_ = mkdtemp(pattern);
    const std::string d = dir_;
    const std::string script =
        "cd " + d + " && "
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 "
        "-subj /CN=test-ca && "
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > san && "
        "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost && "
        "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 "
        "-extfile san -out server.crt && "
        "openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=ivr && "
        "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 "
        "-out client.crt && "
        // A second, unrelated CA and a client certificate it signed.
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.crt "
        "-days 2 -subj /CN=other-ca && "
        "openssl req -newkey rsa:2048 -nodes -keyout other.key -out other.csr -subj /CN=intruder && "
        "openssl x509 -req -in other.csr -CA other-ca.crt -CAkey other-ca.key -CAcreateserial "
        "-days 2 -out other.crt";
    ok_ = std::system(("(" + script + ") >/dev/null 2>&1").c_str()) == 0;
  }
  ~Certificates() { std::filesystem::remove_all(dir_); }
  bool ok() const { return ok_; }
  std::string operator()(const char* file) const { return dir_ + "/" + file; }

 private:
  std::string dir_;
  bool ok_ = false;
};

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FEEDBACK_REQUIRE_TEST_DATABASE(db_);
    ASSERT_TRUE(certs_.ok()) << "openssl could not make test certificates";
    key_ = testing::CreateTestKey(db_->url(), "ivr");
  }

  std::unique_ptr<FeedbackServer> Start(bool mutual) {
    ServerOptions options = testing::TestServerOptions(db_->url());
    options.insecure = false;
    options.tls_cert_file = certs_("server.crt");
    options.tls_key_file = certs_("server.key");
    if (mutual) options.client_ca_file = certs_("ca.crt");
    options.health_listen = "127.0.0.1:0";
    auto server = FeedbackServer::Start(options);
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? *std::move(server) : nullptr;
  }

  absl::Status Submit(int port, const std::string& ca, const std::string& cert,
                      const std::string& key, const std::string& request_id) {
    clients::ClientOptions options{.address = "localhost:" + std::to_string(port),
                                   .api_key = key_,
                                   .tls_ca_file = ca,
                                   .tls_cert_file = cert,
                                   .tls_key_file = key};
    options.max_attempts = 1;
    options.deadline = absl::Seconds(5);
    clients::FeedbackClient client(options);
    for (int i = 0; i < 50; ++i) {  // until the server reports SERVING
      auto health = client.Health();
      if (!health.ok() || *health == HealthCheckResponse::SERVING) break;
      absl::SleepFor(absl::Milliseconds(100));
    }
    v1::SubmitRatingRequest r;
    r.set_request_id(request_id);
    r.set_channel(v1::CHANNEL_IVR);
    r.set_score(5);
    return client.SubmitRating(r).status();
  }

  std::unique_ptr<testing::TestDatabase> db_;
  Certificates certs_;
  std::string key_;
};

TEST_F(TlsTest, ServesTlsAndRefusesPlaintextClients) {
  auto server = Start(/*mutual=*/false);
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(Submit(server->port(), certs_("ca.crt"), "", "", "tls-1").ok());
  EXPECT_EQ(Submit(server->port(), "", "", "", "plain-1").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 1);
}

TEST_F(TlsTest, MutualTlsNeedsAClientCertificateAndProbesUseThePlaintextHealthPort) {
  auto server = Start(/*mutual=*/true);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(Submit(server->port(), certs_("ca.crt"), "", "", "no-cert").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE(
      Submit(server->port(), certs_("ca.crt"), certs_("client.crt"), certs_("client.key"), "m-1")
          .ok());
  auto probe = grpc::CreateChannel("127.0.0.1:" + std::to_string(server->health_port()),
                                   grpc::InsecureChannelCredentials());
  EXPECT_TRUE(testing::WaitForHealth(*probe, HealthCheckResponse::SERVING));
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 1);
}

TEST_F(TlsTest, TheWrongCaFailsOnBothSides) {
  auto server = Start(/*mutual=*/true);
  ASSERT_NE(server, nullptr);
  // The client does not trust the server's CA.
  EXPECT_EQ(Submit(server->port(), certs_("other-ca.crt"), certs_("client.crt"),
                   certs_("client.key"), "wrong-server-ca")
                .code(),
            absl::StatusCode::kUnavailable);
  // The server does not trust the client's CA.
  EXPECT_EQ(Submit(server->port(), certs_("ca.crt"), certs_("other.crt"), certs_("other.key"),
                   "wrong-client-ca")
                .code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 0);
}

TEST_F(TlsTest, PlaintextOnlyWhenAskedForExplicitly) {
  ServerOptions options = testing::TestServerOptions(db_->url());
  options.insecure = false;
  auto refused = FeedbackServer::Start(options);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(),
            "tls_cert: give --tls_cert and --tls_key, or --insecure to serve plaintext");
  options.tls_cert_file = "/nonexistent.crt";
  options.tls_key_file = "/nonexistent.key";
  EXPECT_EQ(FeedbackServer::Start(options).status().message(),
            "tls_cert: cannot read /nonexistent.crt");
}

}  // namespace
}  // namespace feedback::services
