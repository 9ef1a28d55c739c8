// A checkout survey: the shop's back end sends the order's CSAT and NPS
// answers in one call, with the order id as interaction_id and a request id
// derived from it, so a retried checkout never counts twice.
//
//   FEEDBACK_API_KEY=... checkout_survey --order_id order-1001 --csat 5 --nps 9
#include <iostream>
#include <optional>

#include "CLI/CLI.hpp"
#include "clients/feedback_client.h"

int main(int argc, char** argv) {
  CLI::App app{"Checkout survey: submit an order's CSAT and NPS answers"};
  feedback::clients::ClientOptions options;
  std::string order_id, customer_id, email, comment;
  std::optional<int> csat, nps;
  app.add_option("--addr", options.address, "Feedback service")->envname("FEEDBACK_ADDR");
  app.add_option("--api_key", options.api_key, "Ingest key")->envname("FEEDBACK_API_KEY")->required();
  app.add_option("--order_id", order_id, "The order's id")->required();
  app.add_option("--csat", csat, "How satisfied, 1-5");
  app.add_option("--nps", nps, "How likely to recommend, 0-10");
  app.add_option("--customer_id", customer_id, "The shop's customer id");
  app.add_option("--email", email, "Customer email (for a follow-up)");
  app.add_option("--comment", comment, "Free text");
  CLI11_PARSE(app, argc, argv);
  feedback::clients::FeedbackClient client(options);

  feedback::v1::SubmitSurveyRequest survey;
  survey.set_request_id("checkout:" + order_id);
  survey.set_channel(feedback::v1::CHANNEL_CHECKOUT);
  survey.set_interaction_id(order_id);
  if (csat) survey.set_csat_score(*csat);
  if (nps) survey.set_nps_score(*nps);
  survey.mutable_customer()->set_customer_id(customer_id);
  survey.mutable_customer()->set_email(email);
  survey.set_comment(comment);
  absl::StatusOr<feedback::v1::SubmitSurveyResponse> stored = client.SubmitSurvey(survey);
  if (!stored.ok()) {
    std::cerr << "error: " << stored.status().message() << "\n";
    return absl::IsUnavailable(stored.status()) ? 3 : 1;
  }
  std::cout << "stored" << (stored->duplicate() ? " (already stored earlier)" : "") << ": csat "
            << stored->csat_feedback_id() << ", nps " << stored->nps_feedback_id() << "\n";
  return 0;
}
